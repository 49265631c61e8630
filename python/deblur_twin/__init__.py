"""deblur-lab's Python: the PyTorch twin of the lab's networks and what runs it.

Modules, each run as `python3 -m deblur_twin.NAME` with python/ on PYTHONPATH (the lab's
TypeScript sets it; by hand: `PYTHONPATH=python python3 -m deblur_twin.NAME ...` from the
repository's root):
  torch_twin           the twin: the lab's networks in PyTorch, layer for layer
  train                trains the twin, one process or DistributedDataParallel under torchrun
  bench                times the twin for `npm run bench` and the GPU check
  checkpoint_io        torch's checkpoint files in and out (import-torch, export-torch)
  realblur_align       RealBlur's alignment of a restored image to its ground truth
  mimo_unet_reference  MIMO-UNet's official network, for the interop tests
"""
