"""The logging SDK: the fluent API, TrackingClient, the background writer, run
lifecycle, heartbeats and the process state they share (state.STATE)."""
