#pragma once

#include "generate/random.hpp"

namespace cxagent::generate::mechanisms {

// Each mechanism of the fulfillment world is one small function here, named after what it
// models. They take their own keyed random stream and the incident-adjusted inputs; none of them
// knows about incidents, which act only through those inputs (see generator.cpp, Effects).

//! Dispatch and batching: whether the order rides with others, and the detour it suffers.
struct Batch {
  bool batched = false;
  int size = 1;
  double detour_min = 0;
};
//! Batching is likelier when the marketplace is busy and for restaurants; `extra_probability`
//! is the batching_expansion cause's absolute increase.
Batch DispatchAndBatch(KeyedRng& rng, double busy, int store_type, double extra_probability);

//! Minutes from checkout until a dasher accepts: grows steeply with the busy ratio (demand over
//! supply), as in a queue near saturation.
double AssignDelay(KeyedRng& rng, double busy, double noise);
//! Mean of AssignDelay at a busy ratio, the ETA model's estimate.
double ExpectedAssignDelay(double busy);

//! Merchant prep time for a merchant_pick order; `slowdown` is merchant_prep_delay's fraction.
double MerchantPrep(KeyedRng& rng, double prep_median, int store_type, int n_lines, double slowdown,
                    double noise);
//! Minutes a dasher spends shopping a dasher_shop order in the store.
double InStoreShopping(KeyedRng& rng, int n_lines, double noise);

//! Straight delivery distance in km; `stretch` is delivery_radius_expansion's fraction.
double DeliveryDistance(KeyedRng& rng, int store_type, double stretch, double noise);
//! Drive/ride minutes from store to customer, from distance, vehicle, hour congestion and a
//! weather slowdown factor (1 = clear).
double Travel(KeyedRng& rng, double distance_km, int vehicle, int hour, double weather_factor,
              double noise);

//! The ETA model's quote at checkout: unbiased for typical orders, blind to batching, to the
//! day's weather and to supply shocks; `shrink` is eta_underestimation's fraction.
double QuotedEta(double expected_busy, double prep_median, int store_type, int mode, int n_lines,
                 double distance_km, int hour, double shrink);

//! Cancellation after checkout, by reason (index into catalog::CancelReasons()), or -1.
int Cancellation(KeyedRng& rng, double busy, double assign_delay, double quoted_eta,
                 double extra_app_error);

//! Outcome of one order line at the store (index into catalog::ItemStatuses()) and, when
//! substituted, whether the customer accepted.
struct LineOutcome {
  int status = 0;
  bool accepted = false;
};
//! Item availability (in-stock draw), the substitution decision and the customer's acceptance;
//! `acceptance_factor` is 1 minus substitution_model_regression's fraction.
LineOutcome ItemAvailability(KeyedRng& rng, double in_stock_rate, int store_type, int mode,
                             double acceptance_factor);

//! Support contact of an order, or reason -1 for none.
struct Contact {
  int reason = -1;
  double refund = 0;
  double minutes_after = 0;
};
//! Contacts are driven by lateness and item problems, plus a small background of damage,
//! wrong items and never-arrived orders; cancelled orders can write in about app errors.
Contact SupportContact(KeyedRng& rng, bool delivered, int cancel_reason, double late_min,
                       int missing_lines, double missing_refund, int rejected_lines,
                       double rejected_refund, double subtotal, double first_line_price);

//! A post-delivery rating 1-5, or 0 when the customer does not rate (most do not). J-shaped,
//! worse and more likely after a bad experience.
int Rating(KeyedRng& rng, double late_min, int missing_lines, int rejected_lines, bool contacted);

}  // namespace cxagent::generate::mechanisms
