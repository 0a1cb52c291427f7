import { packageBuild } from '../../tsup.config.base';

export default packageBuild({ entry: { index: 'src/index.ts', internal: 'src/internal/index.ts' } });
