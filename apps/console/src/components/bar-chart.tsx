/**
 * A small accessible bar chart (inline SVG): the picture for sighted users, a table with the
 * same numbers for screen readers.
 */
export interface Bar {
  label: string;
  /** Full description of the bucket, for the tooltip and the table. */
  title: string;
  value: number;
}

export function BarChart({ bars, caption }: { bars: Bar[]; caption: string }) {
  const width = 720;
  const height = 220;
  const left = 36;
  const bottom = 28;
  const top = 10;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const niceMax = niceCeiling(max);
  const plotHeight = height - top - bottom;
  const slot = (width - left) / Math.max(1, bars.length);
  const barWidth = Math.max(2, Math.min(36, slot * 0.7));
  const ticks = [0, niceMax / 2, niceMax];
  const labelEvery = Math.ceil(bars.length / 10);
  const total = bars.reduce((sum, bar) => sum + bar.value, 0);
  return (
    <figure style={{ margin: 0 }}>
      <svg
        className="chart"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${caption}: ${total} in all, at most ${max} in one bar`}
        data-testid="syncs-chart"
      >
        {ticks.map((tick) => {
          const y = top + plotHeight - (tick / niceMax) * plotHeight;
          return (
            <g key={tick}>
              <line className="grid-line" x1={left} x2={width} y1={y} y2={y} />
              <text className="axis-label" x={left - 6} y={y + 4} textAnchor="end">
                {Number.isInteger(tick) ? tick : tick.toFixed(1)}
              </text>
            </g>
          );
        })}
        {bars.map((bar, index) => {
          const h = (bar.value / niceMax) * plotHeight;
          const x = left + index * slot + (slot - barWidth) / 2;
          return (
            <g key={bar.title}>
              <rect
                className="bar"
                x={x}
                y={top + plotHeight - h}
                width={barWidth}
                height={Math.max(h, bar.value > 0 ? 2 : 0)}
                rx={2}
              >
                <title>{`${bar.title}: ${bar.value}`}</title>
              </rect>
              {index % labelEvery === 0 ? (
                <text
                  className="axis-label"
                  x={left + index * slot + slot / 2}
                  y={height - 8}
                  textAnchor="middle"
                >
                  {bar.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th>Period</th>
            <th>Syncs</th>
          </tr>
        </thead>
        <tbody>
          {bars.map((bar) => (
            <tr key={bar.title}>
              <td>{bar.title}</td>
              <td>{bar.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function niceCeiling(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}
