// The run as an SVG picture (bench/results.svg by default): a grouped horizontal bar chart, one group per
// workload, one bar per driver, each normalised to the fastest driver of its workload (= 100%) and
// labelled with its median rate. Hand-written SVG text, no dependencies. Every string that enters the
// document is escaped, since some come from outside the harness (the server's version string).
import { type Results, formatRate, label, summarize } from './report.ts'
import { type Column, REFERENCE, UNITS } from './workloads.ts'

/** Escapes text for SVG character data and attribute values (both quote kinds). */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

const COLORS: Record<Column, string> = {
  [REFERENCE]: '#8c8c8c',
  mysql2: '#4e79a7',
  mariadb: '#59a14f',
  aiomysql: '#e15759',
}

const WIDTH = 900
const LABEL_X = 16 // driver names, left-aligned
const BAR_X = 150 // where every bar starts
const BAR_MAX = 560 // the width of 100%
const BAR_HEIGHT = 16
const ROW = 21 // bar pitch
const GROUP_HEAD = 22 // workload title above its bars
const GROUP_GAP = 12
const LINE = 16 // title and subtitle line pitch

/**
 * The chart as an SVG document. `title` and `subtitle` (the run's date, machine and method lines) are
 * printed at the top; workloads appear in the order of `results`, drivers in the order of `columns`.
 */
export function svgChart(
  results: Results,
  columns: readonly Column[],
  title: string,
  subtitle: string[],
): string {
  const body: string[] = []
  const text = (x: number, y: number, s: string, attrs = ''): void => {
    body.push(`<text x="${x}" y="${y}"${attrs}>${escapeXml(s)}</text>`)
  }

  let y = 28
  text(LABEL_X, y, title, ' class="title"')
  for (const line of [...subtitle, 'Median rate per driver; the fastest driver of each workload = 100%.']) {
    y += LINE
    text(LABEL_X, y, line, ' class="note"')
  }
  y += LINE

  for (const [workload, cells] of results) {
    const summaries = columns.map((c) => [c, summarize(cells.get(c))] as const)
    const best = Math.max(0, ...summaries.map(([, s]) => (typeof s === 'string' ? 0 : s.rate)))
    y += GROUP_HEAD
    text(LABEL_X, y, `${workload} (${UNITS[workload]})`, ' class="group"')
    y += 6
    for (const [column, s] of summaries) {
      const top = y
      const mid = top + BAR_HEIGHT / 2 + 4
      text(LABEL_X, mid, label(column))
      if (typeof s === 'string' || best === 0) {
        // No number to draw: say why instead of drawing a zero-length bar.
        text(BAR_X, mid, typeof s === 'string' ? s : 'n/a', ' class="missing"')
      } else {
        const share = s.rate / best
        const width = Math.max(1, Math.round(share * BAR_MAX))
        body.push(
          `<rect x="${BAR_X}" y="${top}" width="${width}" height="${BAR_HEIGHT}" fill="${COLORS[column]}"/>`,
        )
        text(BAR_X + width + 6, mid, `${formatRate(s.rate)} (${Math.round(share * 100)}%)`)
      }
      y += ROW
    }
    y += GROUP_GAP - (ROW - BAR_HEIGHT)
  }
  const height = y + 16

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    '<style>text{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:12px;fill:#222}' +
      '.title{font-size:16px;font-weight:bold}.note{font-size:11px;fill:#555}.group{font-weight:bold}' +
      '.missing{fill:#888;font-style:italic}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n')
}
