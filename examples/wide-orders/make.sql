-- wide-orders: one wide table, one row per order, with the delivery's columns and the rating
-- joined on, under the names of a BI export; nothing else (no items, support, inventory, supply,
-- change log). Run by scripts/make_examples.sh as
--   cxagent sql examples/wide-orders/make.sql --set world=WORLD --set out=OUT
-- where WORLD is a generated world (cxagent generate) and OUT an existing folder.
COPY (
  SELECT o.order_id AS id,
         o.created_at AS ordered_at,
         o.region, o.store_id, o.store_type, o.merchant, o.customer_id, o.customer_segment,
         o.platform, o.daypart, o.fulfillment_mode,
         o.n_items AS item_count,
         o.subtotal AS basket_value,
         o.distance_km,
         o.quoted_eta_min AS promised_minutes,
         o.status AS order_status,
         o.cancel_reason,
         d.dasher_id AS courier_id,
         d.vehicle AS courier_vehicle,
         d.is_batched AS batched,
         d.batch_size AS orders_in_batch,
         d.assign_delay_min AS minutes_to_assign,
         d.prep_wait_min AS minutes_waiting_at_store,
         d.shop_min AS minutes_shopping,
         d.travel_min AS minutes_travelling,
         d.actual_eta_min AS minutes_to_door,
         d.late_min AS minutes_late,
         d.delivered_at AS dropped_off_at,
         d.weather AS weather_at_delivery,
         r.rating AS stars,
         r.rated_at
  FROM read_parquet('${world}/orders.parquet') o
  LEFT JOIN read_parquet('${world}/deliveries.parquet') d USING (order_id)
  LEFT JOIN read_parquet('${world}/ratings.parquet') r USING (order_id)
  ORDER BY o.created_at, o.order_id
) TO '${out}/orders_wide.parquet' (FORMAT parquet);
