import { packageBuild } from '../../tsup.config.base';

// `./testing` ships MemoryHub, a test double for code that publishes, apart from the main entry;
// it imports the main entry by the package's own name, so both share one PublishError.
export default packageBuild({
  entry: { index: 'src/index.ts', testing: 'src/memory.ts' },
  external: ['@pestras/micro-socket-publish'],
});
