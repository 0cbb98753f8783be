"""Metrics shared by the papers; `jaxlab.metrics.image` contains PSNR, SSIM and NMSE for images."""
