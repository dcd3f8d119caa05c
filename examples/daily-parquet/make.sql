-- daily-parquet: what a data lake holds: orders written by a daily job as one Parquet file per
-- day in Hive-style folders (orders/order_date=2026-06-01/data_0.parquet) with the job's
-- _SUCCESS marker beside them; deliveries, items and ratings as Parquet files; the change log as
-- JSON lines. No inventory, supply or support tables. Run by scripts/make_examples.sh as
--   cxagent sql examples/daily-parquet/make.sql --set world=WORLD --set out=OUT
-- where WORLD is a generated world (cxagent generate) and OUT an existing folder.
COPY (SELECT * FROM read_parquet('${world}/orders.parquet') ORDER BY created_at, order_id)
  TO '${out}/orders' (FORMAT parquet, PARTITION_BY (order_date), OVERWRITE_OR_IGNORE);
COPY (SELECT 'done' AS marker WHERE FALSE) TO '${out}/orders/_SUCCESS' (FORMAT csv, HEADER false);
COPY (SELECT * FROM read_parquet('${world}/deliveries.parquet'))
  TO '${out}/deliveries.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_parquet('${world}/items.parquet'))
  TO '${out}/items.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_parquet('${world}/ratings.parquet'))
  TO '${out}/ratings.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_parquet('${world}/change_log.parquet'))
  TO '${out}/change_log.jsonl' (FORMAT json);
