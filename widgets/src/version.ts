// The module name and version the kernel's models name (kernel/figure-widget.ts); a test checks both
// against package.json, so the registry resolves the kernel's models to these classes exactly.
export const MODULE_NAME = "@transferlab/widgets";
export const MODULE_VERSION = "0.1.0";
