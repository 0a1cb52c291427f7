import { packageBuild } from '../../tsup.config.base';

// `shims`: compat/version.ts reads Micro's package.json through `import.meta.url`, which the
// CommonJS build gets from `__filename`.
export default packageBuild({ shims: true });
