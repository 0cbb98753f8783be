"""Compressive-sensing MRI: reconstruct MR images from undersampled k-space.

Two GAN papers live here: Co-VeGAN (a complex-valued U-Net generator; Vasudeva et al., 2020) and the
structure-preserving GAN (a real-valued U-Net with dense and residual connections). The shared
pieces are `kspace` (centred orthonormal FFTs, zero filling, data consistency) and `masks`
(undersampling patterns with an exact sampling fraction). Complex layers are in `jaxlab.nn.complex`,
MRI data in `jaxlab.data.mri` and image metrics in `jaxlab.metrics.image`.
"""

from jaxlab.csmri import kspace, masks

__all__ = ["kspace", "masks"]
