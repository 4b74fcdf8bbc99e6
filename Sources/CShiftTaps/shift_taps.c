/* The tap definition lives in include/shift_taps.h as static inline functions; this file gives
   the CShiftTaps target the source file SwiftPM requires, and compiles the header once as C so
   that a C-only mistake in it fails the plain `swift build`. */
#include "shift_taps.h"
