-- ops-csv: an operations team's CSV exports, semicolon-separated, in its own words: a `market`
-- (the region), a `store_category` (the store type), an `order_channel` (app or web) beside the
-- `device` it was placed on (1 iOS, 2 Android, 3 web), status, batching and substitution as
-- letters, and local times written '06/12/2026 18:05' (month/day/year, to the minute). No supply
-- table. The change log speaks the team's words too (market=..., store_category=...). Run by
-- scripts/make_examples.sh as
--   cxagent sql examples/ops-csv/make.sql --set world=WORLD --set out=OUT
-- where WORLD is a generated world (cxagent generate) and OUT an existing folder.
COPY (
  SELECT order_id AS ref,
         strftime(created_at, '%m/%d/%Y %H:%M') AS placed_local,
         region AS market,
         store_id AS store_ref,
         store_type AS store_category,
         merchant AS chain,
         customer_id AS customer_ref,
         customer_segment AS segment,
         CASE platform WHEN 'web' THEN 'web' ELSE 'app' END AS order_channel,
         CASE platform WHEN 'ios' THEN 1 WHEN 'android' THEN 2 ELSE 3 END AS device,
         daypart,
         fulfillment_mode AS pick_mode,
         n_items AS lines,
         subtotal AS basket_usd,
         distance_km AS km,
         quoted_eta_min AS promised_min,
         CASE status WHEN 'delivered' THEN 'D' ELSE 'C' END AS state,
         cancel_reason AS cancel_code
  FROM read_parquet('${world}/orders.parquet') ORDER BY created_at, order_id
) TO '${out}/orders.csv' (FORMAT csv, DELIMITER ';', HEADER true);

COPY (
  SELECT order_id AS ref, dasher_id AS courier, vehicle,
         CASE WHEN is_batched THEN 'Y' ELSE 'N' END AS batched,
         batch_size AS batch_n, assign_delay_min AS assign_min, prep_wait_min AS wait_min,
         shop_min, travel_min AS drive_min, actual_eta_min AS door_min, late_min AS minutes_late,
         strftime(delivered_at, '%m/%d/%Y %H:%M') AS dropoff_local, weather
  FROM read_parquet('${world}/deliveries.parquet') ORDER BY order_id
) TO '${out}/deliveries.csv' (FORMAT csv, DELIMITER ';', HEADER true);

COPY (
  SELECT order_id AS ref, line_no AS line, sku, category, quantity AS qty, unit_price AS unit_usd,
         status AS outcome,
         CASE WHEN substitution_accepted THEN 'Y' WHEN NOT substitution_accepted THEN 'N' END
           AS sub_ok,
         refund_amount AS refund_usd
  FROM read_parquet('${world}/items.parquet') ORDER BY order_id, line_no
) TO '${out}/items.csv' (FORMAT csv, DELIMITER ';', HEADER true);

COPY (
  SELECT date AS day, store_id AS store_ref, category, listed_in_stock_rate AS listed_rate,
         actual_in_stock_rate AS actual_rate, feed_lag_hours AS feed_age_h
  FROM read_parquet('${world}/inventory.parquet') ORDER BY date, store_id, category
) TO '${out}/inventory.csv' (FORMAT csv, DELIMITER ';', HEADER true, DATEFORMAT '%m/%d/%Y');

COPY (
  SELECT ticket_id AS ticket, order_id AS ref, strftime(created_at, '%m/%d/%Y %H:%M') AS opened_local,
         reason, refund_amount AS refund_usd
  FROM read_parquet('${world}/support.parquet') ORDER BY ticket_id
) TO '${out}/support.csv' (FORMAT csv, DELIMITER ';', HEADER true);

COPY (
  SELECT order_id AS ref, strftime(rated_at, '%m/%d/%Y %H:%M') AS rated_local, rating AS stars
  FROM read_parquet('${world}/ratings.parquet') ORDER BY order_id
) TO '${out}/ratings.csv' (FORMAT csv, DELIMITER ';', HEADER true);

COPY (
  SELECT change_id AS change_ref, strftime(changed_at, '%m/%d/%Y %H:%M') AS changed_local, kind,
         replace(replace(scope, 'region=', 'market='), 'store_type=', 'store_category=') AS scope,
         description
  FROM read_parquet('${world}/change_log.parquet') ORDER BY changed_at, change_id
) TO '${out}/change_log.csv' (FORMAT csv, DELIMITER ';', HEADER true);
