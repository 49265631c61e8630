/** deblur-lab's public API, for notebooks and other programs. */
export { selectBackend, parseBackendName, BACKENDS, type BackendName, type BackendReport } from './backend';
export { UsageError } from './errors';
export { VARIANTS, VARIANT_NAMES, variantConfig, validateConfig, type NetConfig, type VariantName, type BlockType, type SkipFusion } from './model/config';
export { buildNet, configOf, type BuildOptions } from './model/net';
export { restore, SIZE_MULTIPLE, type Restored } from './model/run';
export { Probe, disposeProbes, type ProbeResult, type MsrmSite } from './model/probes';
export { saveModel, loadModel } from './model/io';
export { summarize, layerMacs, type NetSummary, type ModuleCost } from './model/summary';
export { msrmParams } from './model/msrm';
export { deblurLoss, FFT_WEIGHT, type LossParts } from './loss';
export { dft2d, spectrumHW, clearDftCache, type Spectrum } from './dft';
export { imagePyramid } from './pyramid';
export { readImage, writePng, type LoadedImage } from './data/image';
