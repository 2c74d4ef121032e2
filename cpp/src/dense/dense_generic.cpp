// The baseline copy of dense_impl.inc.
#define HYPERDIAL_DENSE_NS dense_generic
#include "dense_impl.inc"
