/**
 * The one place the stream test helpers touch process.env (DESIGN §5). The AWS SDK warns once
 * per process that Node 20 support ends in 2027; its only switch is this variable, and the
 * warning would otherwise fill every Kinesis test's output.
 */
export function silenceAwsSdkNodeWarning(): void {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
}
