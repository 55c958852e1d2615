import type { Stats } from './api';
import { count, percent } from './ui';

/** DMARC pass rate per day (line, 0–100 %) over the day's message volume (bars), drawn as SVG.
 * The API's series is dense (every day from the first report to the last); days without
 * messages have no rate, so only the days with reports are drawn, side by side. */
export function PassRateChart({ series: dense }: { series: Stats['timeSeries'] }) {
  const series = dense.filter((d) => d.messages > 0 && d.dmarcPassRate !== null);
  if (series.length === 0) return <p data-testid="chart-empty">No reports yet: upload one to see the pass rate over time.</p>;
  const width = 640;
  const height = 220;
  const pad = { left: 44, right: 12, top: 12, bottom: 28 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const most = Math.max(...series.map((d) => d.messages), 1);
  const step = w / series.length;
  const x = (i: number) => pad.left + step * i + step / 2;
  const y = (rate: number) => pad.top + h * (1 - rate);
  const points = series.map((d, i) => ({ d, i, cx: x(i), cy: y(d.dmarcPassRate ?? 0) }));
  const latest = series[series.length - 1]!;
  const label = `DMARC pass rate on ${series.length} day${series.length === 1 ? '' : 's'} with reports, from ${series[0]!.date} to ${latest.date}; latest ${percent(latest.dmarcPassRate)} of ${count(latest.messages)} messages.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid="pass-rate-chart" data-days={series.length}>
        {[0, 0.5, 1].map((r) => (
          <g key={r}>
            <line class="grid" x1={pad.left} x2={width - pad.right} y1={y(r)} y2={y(r)} />
            <text class="axis" x={pad.left - 6} y={y(r) + 4} text-anchor="end">{r * 100}%</text>
          </g>
        ))}
        {points.map(({ d, i }) => {
          const bh = (h * d.messages) / most;
          return <rect key={`b${d.date}`} class="bar" x={pad.left + step * i + step * 0.15} width={step * 0.7} y={pad.top + h - bh} height={bh}><title>{d.date}: {count(d.messages)} messages</title></rect>;
        })}
        {points.length > 1 && <polyline class="line" points={points.map((p) => `${p.cx},${p.cy}`).join(' ')} />}
        {points.map(({ d, cx, cy }) => (
          <circle key={`p${d.date}`} class="point" cx={cx} cy={cy} r={4} data-testid="chart-point">
            <title>{d.date}: {percent(d.dmarcPassRate)} pass ({count(d.dmarcPass)} of {count(d.messages)})</title>
          </circle>
        ))}
        <text class="axis" x={x(0)} y={height - 8} text-anchor="middle">{series[0]!.date}</text>
        {series.length > 1 && <text class="axis" x={x(series.length - 1)} y={height - 8} text-anchor="middle">{latest.date}</text>}
      </svg>
      <figcaption class="small muted">Line: share of messages passing DMARC. Bars: messages per day.</figcaption>
      <details>
        <summary>Show the figures as a table</summary>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Day</th><th scope="col">Messages</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Pass rate</th></tr></thead>
            <tbody>{series.map((d) => <tr key={d.date}><th scope="row">{d.date}</th><td>{count(d.messages)}</td><td>{count(d.dmarcPass)}</td><td>{count(d.dmarcFail)}</td><td>{percent(d.dmarcPassRate)}</td></tr>)}</tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
