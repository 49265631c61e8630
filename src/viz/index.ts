/** Visualisation for notebooks: functions take tensors and return display bundles; `show` draws them. */
export { show, LiveDisplay, htmlPage, html, markdown, png, escapeHtml, plotlyScript, type Bundle } from './display';
export { imageGrid, zoomInsets, detailRegion, errorMap, errorValues, scalarImage, drawBox, enlarge, dataUrl, asRaster, type ImageLike, type Panel, type Region, type GridOptions, type InsetOptions } from './images';
export { colorize, colorAt, COLORMAPS, type ColormapName, type ColorizeOptions } from './colormap';
export { plotlyFigure, movingAverage, lineChart, barChart, heatmap, histogram, type ChartOptions, type Series, type BarGroup, type HeatmapOptions } from './plots';
export { table, type Cell, type TableOptions } from './table';
export { powerSpectrum, logPowerSpectrum, fftShift, radialPower, powerRatio, restoredBand, type RadialProfile, type RestoredBand } from './spectra';
export { effectiveReceptiveField, massRadius, supportBox, layerView, receptiveFieldChart, receptiveFieldCharts, type ReceptiveField } from './erf';
export { dffmShares, dffmSharesOver, dffmShareBars, dffmChannelHeatmap, dffmSharesAgainst, SCALE_LABELS, type DffmShares } from './attention';
export { channelAttentionSummary, channelAttentionOver, channelAttentionHeatmap, channelAttentionAgainst, famStrength, famOverlay, flatAndTexturedWindows, DECISIVE, CONSTANT, type ChannelAttentionSummary } from './block-attention';
export { progressLine, progressHtml, stagedProgress } from './progress';
