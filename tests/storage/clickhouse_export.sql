-- Writes the orders and deliveries of a generated world (${data}) as CSV that ClickHouse 18.16
-- parses (docs/clickhouse.md), and the figures the test expects back from the cluster, into
-- ${out}. Run with: cxagent sql tests/storage/clickhouse_export.sql --set data=DIR --set out=DIR
-- NULL is written \N (ClickHouse reads an empty cell as '' or 0, never NULL), timestamps to the
-- second (DateTime has no fraction and rejects one), booleans as 0/1 (it rejects true/false).
COPY (SELECT * FROM read_parquet('${data}/orders.parquet') ORDER BY order_id)
  TO '${out}/orders.csv'
  (FORMAT csv, HEADER true, NULLSTR '\N', TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S');
COPY (SELECT * REPLACE (is_batched::INTEGER AS is_batched)
      FROM read_parquet('${data}/deliveries.parquet') ORDER BY order_id)
  TO '${out}/deliveries.csv'
  (FORMAT csv, HEADER true, NULLSTR '\N', TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S');
-- One row of expected figures, in the order the test reads them.
COPY (
  SELECT
    (SELECT count(*) FROM read_parquet('${data}/orders.parquet')) AS orders,
    (SELECT count(*) FROM read_parquet('${data}/deliveries.parquet')) AS deliveries,
    (SELECT round(sum(subtotal), 4) FROM read_parquet('${data}/orders.parquet')) AS subtotal,
    (SELECT count(*) FROM read_parquet('${data}/orders.parquet') WHERE cancel_reason IS NULL)
      AS no_cancel_reason,
    (SELECT count(*) FROM read_parquet('${data}/orders.parquet') o
       JOIN read_parquet('${data}/deliveries.parquet') d USING (order_id)
       WHERE o.status = 'delivered' AND d.late_min > 5) AS late_orders,
    (SELECT count(*) FROM read_parquet('${data}/deliveries.parquet') WHERE is_batched)
      AS batched,
    (SELECT count(DISTINCT order_date) FROM read_parquet('${data}/orders.parquet')) AS days
) TO '${out}/expected.csv' (FORMAT csv, HEADER false);
