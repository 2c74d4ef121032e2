// The single pybind11 include point of the bindings, and the list of bind_* functions.
#pragma once

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace hyperdial::bindings {

void bind_info(py::module_& m);
void bind_sobol(py::module_& m);

}  // namespace hyperdial::bindings
