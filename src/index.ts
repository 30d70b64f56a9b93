// The public API of the `transferlab` package.
export * from "./engine";
export * as tasks from "./tasks";
export * as evaluate from "./eval";
export * as umm from "./umm";
export * as viz from "./viz";
export { lab, Lab } from "./lab";
export * as labs from "./lab";
import * as aq from "arquero";
export { aq };
