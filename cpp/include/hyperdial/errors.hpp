// The core's exception for numerical failure.
//
// Bad arguments (a wrong shape, a value out of range, a non-finite input) throw
// std::invalid_argument, which pybind11 turns into ValueError. NumericalError is thrown when the
// arguments are valid but the numerics fail on them: a covariance matrix with non-finite entries
// (e.g. a signal variance that overflows) or one that is not positive definite even with the
// largest jitter (linalg.hpp), a marginal likelihood that is not finite at any start of a
// hyperparameter fit (hyperfit.hpp), an objective that is not finite where L-BFGS starts
// (lbfgsb.hpp). The bindings translate it to hyperdial.NumericalError, so a caller can fall back
// on exactly this failure without also swallowing argument bugs.
#pragma once

#include <stdexcept>

namespace hyperdial {

class NumericalError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace hyperdial
