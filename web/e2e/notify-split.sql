-- The rows of the days [from, to) of a generated world (cxagent generate), written as
-- OUT/<table>/PART.parquet for each of its eight tables: how e2e/notify.e2e.mjs delivers a
-- world to a data folder in parts, as a daily job appends a file per table. Rows that belong to
-- an order (deliveries, items, ratings, support) go with their order's day. Run as
--   cxagent sql e2e/notify-split.sql --set world=WORLD --set out=OUT --set part=part-1 \
--     --set from=2026-05-31 --set to=2026-06-03
-- where OUT/<table>/ folders exist.
CREATE TEMP TABLE picked AS
  SELECT * FROM read_parquet('${world}/orders.parquet')
  WHERE order_date >= DATE '${from}' AND order_date < DATE '${to}';
COPY (SELECT * FROM picked ORDER BY created_at, order_id)
  TO '${out}/orders/${part}.parquet' (FORMAT parquet);
COPY (SELECT d.* FROM read_parquet('${world}/deliveries.parquet') d SEMI JOIN picked p ON d.order_id = p.order_id)
  TO '${out}/deliveries/${part}.parquet' (FORMAT parquet);
COPY (SELECT i.* FROM read_parquet('${world}/items.parquet') i SEMI JOIN picked p ON i.order_id = p.order_id)
  TO '${out}/items/${part}.parquet' (FORMAT parquet);
COPY (SELECT r.* FROM read_parquet('${world}/ratings.parquet') r SEMI JOIN picked p ON r.order_id = p.order_id)
  TO '${out}/ratings/${part}.parquet' (FORMAT parquet);
COPY (SELECT s.* FROM read_parquet('${world}/support.parquet') s SEMI JOIN picked p ON s.order_id = p.order_id)
  TO '${out}/support/${part}.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_parquet('${world}/inventory.parquet')
      WHERE date >= DATE '${from}' AND date < DATE '${to}')
  TO '${out}/inventory/${part}.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_parquet('${world}/supply_hourly.parquet')
      WHERE CAST(hour AS DATE) >= DATE '${from}' AND CAST(hour AS DATE) < DATE '${to}')
  TO '${out}/supply_hourly/${part}.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_parquet('${world}/change_log.parquet')
      WHERE CAST(changed_at AS DATE) >= DATE '${from}' AND CAST(changed_at AS DATE) < DATE '${to}')
  TO '${out}/change_log/${part}.parquet' (FORMAT parquet);
