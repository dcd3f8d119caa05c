#include "generate/mechanisms.hpp"

#include <algorithm>
#include <cmath>

#include "generate/catalog.hpp"

namespace cxagent::generate::mechanisms {

namespace {
double Clamp01(double x) {
  return std::clamp(x, 0.0, 1.0);
}
// Rush hours slow traffic by about 15%.
double Congestion(int hour) {
  if (hour == 8 || hour == 12 || (hour >= 17 && hour <= 19)) return 1.15;
  if (hour >= 22 || hour <= 5) return 0.9;
  return 1.0;
}
constexpr double SPEED_KMH[3] = {26.0, 14.0, 20.0};  // car, bike, scooter in city traffic
}  // namespace

Batch DispatchAndBatch(KeyedRng& rng, double busy, int store_type, double extra_probability) {
  double p = 0.08 + 0.12 * Clamp01((busy - 0.6) / 0.3);
  if (store_type == RESTAURANT) p *= 1.2;
  if (store_type == GROCERY) p *= 0.6;
  p = Clamp01(p + extra_probability);
  Batch batch;
  double u = rng.Uniform();
  double u_size = rng.Uniform();
  double detour = rng.Exponential(5.0);
  if (u < p) {
    batch.batched = true;
    batch.size = u_size < 0.8 ? 2 : 3;
    // The other drop-off (and waiting for its pickup) comes first half the time; a detour of
    // 6-20 minutes is what makes batched orders markedly later.
    batch.detour_min = 6.0 + detour + (batch.size == 3 ? 5.0 : 0.0);
  }
  return batch;
}

double ExpectedAssignDelay(double busy) {
  double x = std::max(busy, 0.0) / 0.75;
  double x2 = x * x;
  return std::min(40.0, 1.2 + 1.3 * x2 * x2);
}

double AssignDelay(KeyedRng& rng, double busy, double noise) {
  double base = rng.Exponential(ExpectedAssignDelay(busy));
  return 0.3 + base * rng.LogNormal(1.0, 0.15 * noise);
}

double MerchantPrep(KeyedRng& rng, double prep_median, int store_type, int n_lines, double slowdown,
                    double noise) {
  double median = prep_median;
  if (store_type == GROCERY || store_type == CONVENIENCE) median += 0.6 * n_lines;
  return rng.LogNormal(median * (1.0 + slowdown), 0.35 * std::sqrt(noise));
}

double InStoreShopping(KeyedRng& rng, int n_lines, double noise) {
  return (3.0 + 1.0 * n_lines) * rng.LogNormal(1.0, 0.25 * std::sqrt(noise));
}

double DeliveryDistance(KeyedRng& rng, int store_type, double stretch, double noise) {
  double median = store_type == RESTAURANT ? 3.2 : store_type == GROCERY ? 4.0 : 2.8;
  double km = std::clamp(rng.LogNormal(median, 0.5 * std::sqrt(noise)), 0.3, 20.0);
  return km * (1.0 + stretch);
}

double Travel(KeyedRng& rng, double distance_km, int vehicle, int hour, double weather_factor,
              double noise) {
  // Longer trips are also less predictable (highways, bridges): the spread grows with distance.
  double sigma = (0.15 + 0.02 * distance_km) * std::sqrt(noise);
  double ride = distance_km / SPEED_KMH[vehicle] * 60.0 * Congestion(hour) * weather_factor;
  return ride * rng.LogNormal(1.0, sigma) + 3.0;
}

double QuotedEta(double expected_busy, double prep_median, int store_type, int mode, int n_lines,
                 double distance_km, int hour, double shrink) {
  double arrive = ExpectedAssignDelay(expected_busy) + 5.5;
  double pickup = 0;
  if (mode == DASHER_SHOP) {
    pickup = arrive + (3.0 + 1.0 * n_lines) * 1.03;
  } else {
    double prep =
        prep_median + ((store_type == GROCERY || store_type == CONVENIENCE) ? 0.6 * n_lines : 0);
    pickup = std::max(prep * 1.06, arrive) + 2.0;
  }
  // The model is fit on the trips it has seen, at the fleet's average speed: beyond 6 km (rare
  // before a radius expansion) it extrapolates poorly and underestimates.
  double km = std::min(distance_km, 6.0) + 0.3 * std::max(0.0, distance_km - 6.0);
  double travel = km / 22.0 * 60.0 * Congestion(hour) + 3.0;
  double quote = pickup + travel + 2.5 + 4.0;
  return quote * (1.0 - shrink);
}

int Cancellation(KeyedRng& rng, double busy, double assign_delay, double quoted_eta,
                 double extra_app_error) {
  double u_app = rng.Uniform();
  double u_store = rng.Uniform();
  double u_dasher = rng.Uniform();
  double u_customer = rng.Uniform();
  if (u_app < 0.0015 + extra_app_error) return CANCEL_APP_ERROR;
  if (u_store < 0.003) return CANCEL_STORE_CLOSED;
  double p_no_dasher = std::min(0.5, 0.001 + 0.35 * std::pow(std::max(0.0, busy - 0.95), 1.3));
  if (u_dasher < p_no_dasher) return CANCEL_NO_DASHER;
  double p_customer =
      0.006 + 0.04 * Clamp01((assign_delay - 8.0) / 20.0) + (quoted_eta > 60.0 ? 0.01 : 0.0);
  if (u_customer < p_customer) return CANCEL_CUSTOMER;
  return -1;
}

LineOutcome ItemAvailability(KeyedRng& rng, double in_stock_rate, int store_type, int mode,
                             double acceptance_factor) {
  double u_stock = rng.Uniform();
  double u_pick = rng.Uniform();
  double u_attempt = rng.Uniform();
  double u_accept = rng.Uniform();
  LineOutcome outcome;
  if (u_stock < in_stock_rate) {
    // Even in-stock lines are occasionally forgotten or not packed.
    outcome.status = u_pick < (store_type == RESTAURANT ? 0.004 : 0.002) ? MISSING : FOUND;
    return outcome;
  }
  double attempt = 0;
  if (mode == DASHER_SHOP) {
    attempt = 0.8;
  } else if (store_type == GROCERY) {
    attempt = 0.6;
  } else if (store_type == CONVENIENCE || store_type == ALCOHOL) {
    attempt = 0.45;
  } else if (store_type == PHARMACY) {
    attempt = 0.3;
  }
  if (u_attempt >= attempt) {
    outcome.status = MISSING;
    return outcome;
  }
  outcome.status = SUBSTITUTED;
  outcome.accepted = u_accept < 0.85 * acceptance_factor;
  return outcome;
}

Contact SupportContact(KeyedRng& rng, bool delivered, int cancel_reason, double late_min,
                       int missing_lines, double missing_refund, int rejected_lines,
                       double rejected_refund, double subtotal, double first_line_price) {
  double u_any = rng.Uniform();
  double u_pick = rng.Uniform();
  double minutes = 2.0 + rng.Exponential(25.0);
  Contact contact;
  contact.minutes_after = minutes;
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (delivered) {
    p[R_LATE] = late_min > 20 ? 0.18 : late_min > 5 ? 0.05 : 0.0;
    p[R_MISSING_ITEM] = 1.0 - std::pow(1.0 - 0.22, missing_lines);
    p[R_BAD_SUBSTITUTION] = 1.0 - std::pow(1.0 - 0.2, rejected_lines);
    p[R_WRONG_ITEM] = 0.004;
    p[R_DAMAGED] = 0.003;
    p[R_NEVER_ARRIVED] = 0.001;
    p[R_OTHER] = 0.006;
  } else {
    p[R_APP_ISSUE] = cancel_reason == CANCEL_APP_ERROR ? 0.3 : 0.0;
    p[R_OTHER] = cancel_reason == CANCEL_NO_DASHER ? 0.1 : 0.02;
  }
  double none = 1.0;
  double total = 0;
  for (double x : p) {
    none *= 1.0 - x;
    total += x;
  }
  if (u_any >= 1.0 - none || total <= 0) return contact;
  double target = u_pick * total;
  int reason = 0;
  for (; reason < 7; ++reason) {
    if (target < p[reason]) break;
    target -= p[reason];
  }
  contact.reason = reason;
  switch (reason) {
    case R_LATE:
      contact.refund = late_min > 30 ? 10.0 : 5.0;
      break;
    case R_MISSING_ITEM:
      contact.refund = missing_refund;
      break;
    case R_BAD_SUBSTITUTION:
      contact.refund = rejected_refund;
      break;
    case R_WRONG_ITEM:
    case R_DAMAGED:
      contact.refund = first_line_price;
      break;
    case R_NEVER_ARRIVED:
      contact.refund = subtotal;
      break;
    default:
      contact.refund = 0;
  }
  return contact;
}

int Rating(KeyedRng& rng, double late_min, int missing_lines, int rejected_lines, bool contacted) {
  double u_rate = rng.Uniform();
  double u_star = rng.Uniform();
  double badness = (late_min > 5 ? 1.0 : 0.0) + (late_min > 20 ? 1.2 : 0.0) +
                   0.9 * std::min(missing_lines, 3) + 0.7 * std::min(rejected_lines, 3) +
                   (contacted ? 0.5 : 0.0);
  double respond = 0.27 + 0.12 * std::min(1.0, badness);
  if (u_rate >= respond) return 0;
  double hurt = 1.0 - std::exp(-0.8 * badness);
  double p_low = 0.05 + 0.55 * hurt;
  double p_three = 0.04 + 0.12 * hurt;
  double p_four = 0.04 + 0.11 * (1.0 - hurt);
  if (u_star < p_low * 0.7) return 1;
  if (u_star < p_low) return 2;
  if (u_star < p_low + p_three) return 3;
  if (u_star < p_low + p_three + p_four) return 4;
  return 5;
}

}  // namespace cxagent::generate::mechanisms
