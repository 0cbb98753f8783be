"""jaxlab: eight machine-learning papers as tested JAX functions on one shared engine.

Subpackages:
  engine          the training loop, sharding, checkpoints, run folders and metric logging
  nn, data, metrics   layers, data sources and metrics shared by every paper
  sensitivity     transformers learn low-sensitivity functions
  attention_svm   implicit bias of gradient descent on self-attention (W_mm)
  mplv            multi-phase locking value
  csmri           compressive-sensing MRI GANs (Co-VeGAN, structure-preserving GAN)
"""

__version__ = "0.1.0"
