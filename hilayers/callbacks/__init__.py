"""Callbacks: hooks into ``fit`` / ``evaluate`` / ``predict``, as Keras has them."""
from .backup import BackupAndRestore
from .base import Callback, CallbackList
from .history import History
from .logging import CSVLogger, LambdaCallback
from .model_checkpoint import ModelCheckpoint
from .progress import ProgbarLogger
from .tensorboard import TensorBoard
from .training_control import (EarlyStopping, LearningRateScheduler, ReduceLROnPlateau,
                               TerminateOnNaN)

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN", "CSVLogger",
           "LambdaCallback", "ModelCheckpoint", "BackupAndRestore", "TensorBoard"]
