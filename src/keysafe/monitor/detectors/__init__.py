"""The detectors, one small module each. ``DETECTORS`` is the default set, in report order."""

from keysafe.monitor.detectors.base import Detector, ScanContext
from keysafe.monitor.detectors.failures import FailureRise
from keysafe.monitor.detectors.hours import UnusualHours
from keysafe.monitor.detectors.orders import RejectedOrders
from keysafe.monitor.detectors.profile import OutsideProfile
from keysafe.monitor.detectors.rate import RateSpike
from keysafe.monitor.detectors.retired import AfterRetirement
from keysafe.monitor.detectors.sources import NewSource
from keysafe.monitor.detectors.weight import WeightPressure

DETECTORS: tuple[Detector, ...] = (
    RateSpike(), NewSource(), FailureRise(), RejectedOrders(), WeightPressure(), OutsideProfile(),
    UnusualHours(), AfterRetirement(),
)

__all__ = ["DETECTORS", "AfterRetirement", "Detector", "FailureRise", "NewSource", "OutsideProfile", "RateSpike",
           "RejectedOrders", "ScanContext", "UnusualHours", "WeightPressure"]
