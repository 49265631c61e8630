import { startCpu } from './src/backend';
import { variantConfig } from './src/model/config';
import { summarize } from './src/model/summary';
(async () => {
  await startCpu();
  for (const v of ['mimo', 'full', 'baseline', 'dffm', 'lite']) {
    const t = Date.now();
    const s = summarize(variantConfig(v));
    console.log(v, s.params, (s.macs / 1e9).toFixed(2), 'G', Date.now() - t, 'ms');
  }
  console.log(summarize(variantConfig('mimo', { blocks: 20 })).params);
  console.log(summarize(variantConfig('mimo'), 720, 1280).macs / 1e9);
})();
