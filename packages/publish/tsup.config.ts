import { packageBuild } from '../../tsup.config.base';

// `./testing` ships MemoryHub, a test double for code that publishes, apart from the main entry;
// it imports the main entry by the package's own name, so both share one PublishError. In a clean
// build that name has no dist yet: tsconfig.json's `paths` points the type check at src/index.ts.
export default packageBuild({
  entry: { index: 'src/index.ts', testing: 'src/memory.ts' },
  external: ['@pestras/micro-socket-publish'],
});
