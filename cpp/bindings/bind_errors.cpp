// hyperdial::NumericalError (cpp/include/hyperdial/errors.hpp) -> hyperdial.NumericalError.
//
// The Python class lives in hyperdial/exceptions.py, so that `import hyperdial` can name it
// without loading the compiled core; the translator looks it up when the first one is raised.
#include <exception>

#include "hyperdial/errors.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {

void bind_errors(py::module_& m) {
    (void)m;
    py::register_exception_translator([](std::exception_ptr error) {
        try {
            if (error) {
                std::rethrow_exception(error);
            }
        } catch (const NumericalError& e) {
            py::object cls;
            try {
                cls = py::module_::import("hyperdial.exceptions").attr("NumericalError");
            } catch (py::error_already_set&) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ArithmeticError, e.what());
                return;
            }
            PyErr_SetString(cls.ptr(), e.what());
        }
    });
}

}  // namespace hyperdial::bindings
