import type { ReactNode } from 'react';

export type DataTableColumn<Row> = {
  header: string;
  cell: (row: Row) => ReactNode;
  /** Right-align numbers. */
  numeric?: boolean;
};

type ChartFrameProps<Row> = {
  /** Names the figure for screen readers and titles its data table. */
  label: string;
  /** Plot height in pixels. */
  height?: number;
  chart: ReactNode;
  /** The numbers behind the chart, as a table under a disclosure: every point is readable. */
  rows: Row[];
  columns: DataTableColumn<Row>[];
  rowKey: (row: Row, index: number) => string;
  caption?: ReactNode;
};

/**
 * A Recharts chart with its data: the chart is for the eye, the table (one
 * click away, always in the accessibility tree) for screen readers, exact
 * figures and tests.
 */
export function ChartFrame<Row>({ label, height = 240, chart, rows, columns, rowKey, caption }: ChartFrameProps<Row>) {
  return (
    <figure aria-label={label} className="flex min-w-0 flex-col gap-2">
      <div style={{ height }} className="w-full min-w-0" aria-hidden="true">
        {chart}
      </div>
      {caption ? <figcaption className="text-xs text-slate-500">{caption}</figcaption> : null}
      <details className="text-xs text-slate-600">
        <summary className="cursor-pointer rounded select-none hover:text-slate-900">Data table</summary>
        <div className="mt-2 max-h-64 overflow-auto">
          <table aria-label={label} className="w-full text-left tabular-nums">
            <thead className="sticky top-0 bg-white text-slate-500">
              <tr>
                {columns.map((column) => (
                  <th key={column.header} scope="col" className={`px-2 py-1 font-medium ${column.numeric ? 'text-right' : ''}`}>
                    {column.header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={rowKey(row, index)} className="border-t border-slate-100">
                  {columns.map((column) => (
                    <td key={column.header} className={`px-2 py-1 ${column.numeric ? 'text-right' : ''}`}>
                      {column.cell(row)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
