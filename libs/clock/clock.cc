#include "libs/clock/clock.h"

namespace tocsin {

RealClock* RealClock::Get() {
  static RealClock* clock = new RealClock();
  return clock;
}

}  // namespace tocsin
