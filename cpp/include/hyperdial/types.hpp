// Array types shared by the numerics. Row-major so that C-ordered NumPy arrays map without copies.
#pragma once

#include <Eigen/Core>

namespace hyperdial {

using Index = Eigen::Index;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorXd = Eigen::VectorXd;

}  // namespace hyperdial
