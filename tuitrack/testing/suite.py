"""Every test of the TrackingStore contract in one module, for a backend to star-import.

Tests that need a capability the store does not declare skip and name it; see
tuitrack.testing for the one fixture a backend defines.
"""

from tuitrack.testing.dataset_inputs import *  # noqa: F403
from tuitrack.testing.experiments import *  # noqa: F403
from tuitrack.testing.log_batch import *  # noqa: F403
from tuitrack.testing.marking import *  # noqa: F403
from tuitrack.testing.metric_history import *  # noqa: F403
from tuitrack.testing.metric_history_properties import *  # noqa: F403
from tuitrack.testing.orphans import *  # noqa: F403
from tuitrack.testing.reading import *  # noqa: F403
from tuitrack.testing.runs import *  # noqa: F403
from tuitrack.testing.search_filters import *  # noqa: F403
from tuitrack.testing.search_runs import *  # noqa: F403
from tuitrack.testing.summaries import *  # noqa: F403
from tuitrack.testing.tag_deletion import *  # noqa: F403
