// CMA-ES in the unit cube: the state of one run, ask, tell, restarts and a warm start.
//
// Notation of Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772, 2016), with
// n dimensions, population size lambda, mu = floor(lambda / 2) and x_1:lambda the population
// sorted by objective value (smaller is better):
//   weights   w'_i = ln((lambda + 1) / 2) - ln i; positive ones normalised to sum 1, negative
//             ones scaled by min(alpha_mu^-, alpha_mueff^-, alpha_posdef^-) / sum |w'^-|
//             (active CMA, the tutorial's default weights);
//   rates     c_sigma = (mu_eff + 2) / (n + mu_eff + 5),
//             d_sigma = 1 + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma,
//             c_c = (4 + mu_eff / n) / (n + 4 + 2 mu_eff / n),
//             c_1 = 2 / ((n + 1.3)^2 + mu_eff),
//             c_mu = min(1 - c_1, 2 (1/4 + mu_eff + 1/mu_eff - 2) / ((n + 2)^2 + mu_eff));
//   tell      y_i = (x_i - m) / sigma,  <y>_w = sum_{i<=mu} w_i y_i,  m <- m + sigma <y>_w,
//             p_sigma <- (1 - c_sigma) p_sigma + sqrt(c_sigma (2 - c_sigma) mu_eff) C^-1/2 <y>_w,
//             h_sigma = [|p_sigma| / sqrt(1 - (1 - c_sigma)^(2 (g + 1))) < (1.4 + 2 / (n + 1)) E|N|],
//             p_c <- (1 - c_c) p_c + h_sigma sqrt(c_c (2 - c_c) mu_eff) <y>_w,
//             w°_i = w_i (w_i >= 0) or w_i n / |C^-1/2 y_i|^2 (w_i < 0),
//             C <- (1 + c_1 delta(h_sigma) - c_1 - c_mu sum w) C + c_1 p_c p_c^T
//                  + c_mu sum_i w°_i y_i y_i^T,   delta(h) = (1 - h) c_c (2 - c_c),
//             sigma <- sigma exp((c_sigma / d_sigma) (|p_sigma| / E|N| - 1)),
//             E|N| = sqrt(n) (1 - 1 / (4 n) + 1 / (21 n^2)).
// C = B D^2 B^T is decomposed lazily: after a tell, only when at least
// max(1, floor(1 / (10 n (c_1 + c_mu)))) generations passed since the last decomposition (the
// tutorial's B.2); in between, ask and C^-1/2 use the previous B and D.
//
// Separable variant (Ros & Hansen, PPSN 2008, "sep-CMA-ES"): C is diagonal, B = I, only the
// positive weights are used, and c_1, c_mu are multiplied by (n + 2) / 3.
//
// Margin (Hamano, Saito, Nomura & Shirakawa, GECCO 2022, "CMA-ES with Margin") for discrete
// dimensions: dimension j with steps_j = 1 / k_j > 0 is split into k_j cells of that width, and a
// point takes the value of the cell it falls in. A sample is v = m + A (x - m) with a diagonal A
// (initially I); x is what tell learns from. After each tell the marginal of v_j, N(m_j, s_j^2)
// with s_j = sigma A_jj sqrt(C_jj), is corrected so that each neighbouring cell of the mean's
// cell gets probability at least alpha = 1 / (n lambda): in an inner cell with edges (l, u), tail
// masses p_l = Phi((l - m) / s) and p_u = 1 - Phi((u - m) / s) below alpha are raised to alpha
// and (m_j, A_jj) are solved from the two tail masses; in an outer cell (one neighbour at t) the
// mean is moved to t -+ s Phi^-1(1 - alpha) when it is farther away. A_jj only changes in the
// first case, C never.
//
// Bounds: every sample lies in [0, 1]^n. A draw outside is redrawn (up to max_resampling
// times), then clipped; tell takes the clipped point.
//
// Restarts (tell, when a stop criterion holds): IPOP (Auger & Hansen, CEC 2005) multiplies
// lambda by inc_popsize; BIPOP (Hansen, GECCO 2009 workshop) alternates that "large" regime with
// a "small" one, lambda_s = floor(lambda_0 (lambda_large / (2 lambda_0))^(U^2)),
// sigma_s = sigma_0 10^(-2 U), U ~ U(0, 1), taking whichever regime has used fewer evaluations.
// A restart starts from a uniform random mean, sigma_0 and C = I. Stop criteria (tutorial B.3):
// tolfun (best values of the last 10 + ceil(30 n / lambda) generations and the current values
// all within tol_fun), tolx (sigma |p_c|_inf and sigma max sqrt(C_jj) below tol_x sigma_0),
// conditioncov (max D^2 / min D^2 above max_condition), noeffectaxis, noeffectcoord.
//
// Learning-rate adaptation (Nomura, Akimoto & Ono, GECCO 2023, "LRA-CMA-ES"; full covariance
// only): with Sigma = sigma^2 C, the tell above gives steps Delta_m and Delta_Sigma, seen in the
// previous local coordinates as dm = Sigma_old^-1/2 Delta_m and
// dS = vec(Sigma_old^-1/2 Delta_Sigma Sigma_old^-1/2) / sqrt(2) (C^-1/2 of the last
// decomposition). Their exponential averages E <- (1 - beta) E + beta d and
// V <- (1 - beta) V + beta |d|^2 (beta_m = 0.1, beta_Sigma = 0.03) estimate a signal-to-noise
// ratio SNR = (|E|^2 - beta / (2 - beta) V) / (V - |E|^2), and each rate moves as
// eta <- min(1, eta exp(min(gamma eta, beta) clip(SNR / (alpha eta) - 1, -1, 1))) with
// alpha = 1.4, gamma = 0.1. The state becomes m_old + eta_m Delta_m and
// Sigma_old + eta_Sigma Delta_Sigma, split back into sigma = det(Sigma)^(1 / (2 n)) and
// C = Sigma / sigma^2; sigma is then multiplied by eta_m(before) / eta_m(after).
//
// Warm start (Nomura, Watanabe, Akimoto, Ozaki & Onishi, AAAI 2021, "WS-CMA-ES"): from source
// points, the best ceil(gamma N) give mean mu and Sigma = alpha^2 I + their (biased) sample
// covariance; sigma = det(Sigma)^(1 / (2 n)) and C = Sigma / sigma^2.
#pragma once

#include <cstdint>
#include <string>

#include "hyperdial/types.hpp"

namespace hyperdial {

enum class CmaRestart : int { none = 0, ipop = 1, bipop = 2 };

// Settings of a run; every default lives here.
struct CmaOptions {
    int popsize = 0;                   // 0: 4 + floor(3 ln n)
    bool separable = false;            // sep-CMA-ES
    bool lr_adapt = false;             // learning-rate adaptation (not with separable)
    CmaRestart restart = CmaRestart::none;
    double inc_popsize = 2.0;          // lambda factor of a large restart
    int max_resampling = 0;            // redraws of an out-of-bounds sample; 0: 10 n
    double tol_fun = 1e-12;
    double tol_x = 1e-12;              // relative to sigma_0
    double max_condition = 1e14;
};

// One sample: x for tell, point (= m + A (x - m)) to evaluate, both in [0, 1]^n.
struct CmaSample {
    VectorXd x;
    VectorXd point;
    int n_redraws = 0;
};

struct CmaWarmStart {
    VectorXd mean;
    double sigma = 0.0;
    RowMatrixXd cov;
};

class CmaEs {
public:
    // mean in R^n, sigma > 0, cov n x n symmetric positive definite (0 x 0: identity; for the
    // separable variant only its diagonal is used), steps empty or n values in [0, 1)
    // (0: continuous). Throws std::invalid_argument on bad shapes or values.
    CmaEs(const VectorXd& mean, double sigma, const RowMatrixXd& cov, const VectorXd& steps,
          const CmaOptions& options);

    // A sample drawn from a generator seeded with seed only (a const call: the same seed gives
    // the same sample).
    CmaSample ask(std::uint64_t seed) const;

    // One generation: x (lambda x n, the x of ask) and their values f (lambda; +-inf allowed,
    // NaN not). seed drives a restart's random choices. Returns the stop criterion that caused
    // a restart, or "" when the run goes on.
    std::string tell(const RowMatrixXd& x, const VectorXd& f, std::uint64_t seed);

    // The first stop criterion that holds after the last tell (see the header comment), or "".
    std::string stop_reason() const;

    // The whole state as one vector of doubles, and back (exact round trip).
    VectorXd to_vector() const;
    static CmaEs from_vector(const VectorXd& state);

    int dim() const { return static_cast<int>(mean_.size()); }
    int popsize() const { return popsize_; }
    std::int64_t generation() const { return generation_; }
    int n_restarts() const { return n_restarts_; }
    double eta_mean() const { return eta_mean_; }
    double eta_cov() const { return eta_cov_; }
    double sigma() const { return sigma_; }
    const VectorXd& mean() const { return mean_; }
    RowMatrixXd cov() const;  // n x n (diagonal for the separable variant)
    const VectorXd& p_sigma() const { return p_sigma_; }
    const VectorXd& p_c() const { return p_c_; }
    const RowMatrixXd& eigvecs() const { return b_; }
    const VectorXd& eigvals_sqrt() const { return d_; }
    const VectorXd& margin_scale() const { return a_; }
    const VectorXd& weights() const { return weights_; }
    const CmaOptions& options() const { return options_; }

private:
    CmaEs() = default;
    void set_constants();
    void reset_run(const VectorXd& mean, double sigma, int popsize);
    void decompose();
    void correct_margin();
    void restart(std::uint64_t seed);
    void adapt_rates(const VectorXd& old_mean, double old_sigma, const RowMatrixXd& old_c,
                     const RowMatrixXd& old_inv_sqrt_c);
    int stop_code(double f_max) const;  // f_max: largest value of the last generation

    CmaOptions options_;
    VectorXd steps_;
    // run state
    int popsize_ = 0;
    std::int64_t generation_ = 0;      // across restarts
    std::int64_t run_generation_ = 0;  // since the last (re)start
    std::int64_t eigen_generation_ = 0;
    double sigma_ = 0.0;
    VectorXd mean_, p_sigma_, p_c_, a_;
    RowMatrixXd c_;  // n x n; n x 1 (the diagonal) when separable
    RowMatrixXd b_;  // n x n; 0 x 0 when separable
    VectorXd d_;
    VectorXd best_history_;  // best value of the last generations, newest last
    // restart bookkeeping
    double sigma0_ = 0.0;
    int popsize0_ = 0;
    int popsize_large_ = 0;
    int n_restarts_ = 0;
    int n_large_ = 0;
    double budget_small_ = 0.0;
    double budget_large_ = 0.0;
    bool large_run_ = true;
    // learning-rate adaptation
    double eta_mean_ = 1.0, eta_cov_ = 1.0, v_mean_ = 0.0, v_cov_ = 0.0;
    VectorXd e_mean_, e_cov_;  // n and n * n; empty without lr_adapt
    // derived from (n, lambda, separable); not serialised
    VectorXd weights_;
    double mu_eff_ = 0.0, c_sigma_ = 0.0, d_sigma_ = 0.0, c_c_ = 0.0, c_1_ = 0.0, c_mu_ = 0.0;
    double chi_n_ = 0.0;
    int mu_ = 0;
    std::int64_t eigen_interval_ = 1;
};

// The warm-start Gaussian of source points x (N x n in [0, 1]) with values f (smaller better).
// Throws std::invalid_argument for N = 0, a shape mismatch, NaN values, gamma outside (0, 1] or
// alpha <= 0; NumericalError when Sigma is not positive definite.
CmaWarmStart cma_warm_start(const RowMatrixXd& x, const VectorXd& f, double gamma = 0.1,
                            double alpha = 0.1);

// Phi^-1(p) for p in (0, 1), to full double precision (Newton on std::erfc).
double normal_quantile(double p);

}  // namespace hyperdial
