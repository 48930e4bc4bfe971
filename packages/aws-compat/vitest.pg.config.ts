import { testConfig } from '../../vitest.shared.js';

export default testConfig({ pgOnly: true });
