// `@pestras/micro-socket-core/internal`: the primitives the sibling packages share (one of each,
// in the lowest package that needs it). Public so that those packages can import them, but not
// part of the decorator API: they may change in any minor release.
export { settlesWithin } from './deadline';
export { describeValue } from './describe-value';
export { answerNotFound, type ListenableServer, listenOn } from './http';
export { integerOptionMessage, isIntegerIn } from './integer-option';
export { type IpcWorker, sendToWorkers } from './send-to-workers';
