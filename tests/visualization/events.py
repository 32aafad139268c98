"""Reading event files back with TensorBoard's own EventAccumulator."""
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def read_events(logdir):
    """The loaded EventAccumulator of the event files in ``logdir`` (nothing sampled away)."""
    accumulator = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator
