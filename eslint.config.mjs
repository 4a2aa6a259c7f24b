// The JavaScript lint of `make lint` and pre-commit: ESLint (version pinned in
// package.json / package-lock.json, installed in .cache/node by the Makefile) with
// its recommended rules of that version written out here, so the config needs no
// package of its own and reads the same wherever ESLint is installed; plus a few
// rules of Odoo's own JavaScript guidelines that the addon's files follow.
const RECOMMENDED = [
    "constructor-super", "for-direction", "getter-return", "no-async-promise-executor",
    "no-case-declarations", "no-class-assign", "no-compare-neg-zero", "no-cond-assign",
    "no-const-assign", "no-constant-binary-expression", "no-constant-condition",
    "no-control-regex", "no-debugger", "no-delete-var", "no-dupe-args",
    "no-dupe-class-members", "no-dupe-else-if", "no-dupe-keys", "no-duplicate-case",
    "no-empty", "no-empty-character-class", "no-empty-pattern", "no-empty-static-block",
    "no-ex-assign", "no-extra-boolean-cast", "no-fallthrough", "no-func-assign",
    "no-global-assign", "no-import-assign", "no-invalid-regexp", "no-irregular-whitespace",
    "no-loss-of-precision", "no-misleading-character-class", "no-new-native-nonconstructor",
    "no-nonoctal-decimal-escape", "no-obj-calls", "no-octal", "no-prototype-builtins",
    "no-redeclare", "no-regex-spaces", "no-self-assign", "no-setter-return",
    "no-shadow-restricted-names", "no-sparse-arrays", "no-this-before-super",
    "no-unassigned-vars", "no-undef", "no-unexpected-multiline", "no-unreachable",
    "no-unsafe-finally", "no-unsafe-negation", "no-unsafe-optional-chaining",
    "no-unused-labels", "no-unused-private-class-members", "no-unused-vars",
    "no-useless-assignment", "no-useless-backreference", "no-useless-catch",
    "no-useless-escape", "no-with", "preserve-caught-error", "require-yield", "use-isnan",
    "valid-typeof",
];

// What the browser and Odoo's web client provide to the addon's modules.
const BROWSER_GLOBALS = [
    "window", "document", "console", "setTimeout", "clearTimeout", "setInterval",
    "clearInterval", "requestAnimationFrame", "navigator", "location", "history",
    "fetch", "URL", "URLSearchParams", "FormData", "Event", "CustomEvent", "HTMLElement",
    "Element", "Node", "MutationObserver", "getComputedStyle", "Intl", "odoo",
];

export default [
    // The tools installed in .cache (ESLint itself in .cache/node) are not ours.
    { ignores: [".cache/**"] },
    {
        files: ["msp_business_planning*/static/src/**/*.js", "msp_business_planning*/static/tests/**/*.js"],
        languageOptions: {
            ecmaVersion: 2024,
            sourceType: "module",
            globals: Object.fromEntries(BROWSER_GLOBALS.map((name) => [name, "readonly"])),
        },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            ...Object.fromEntries(RECOMMENDED.map((rule) => [rule, "error"])),
            "no-unused-vars": ["error", { args: "none" }],
            eqeqeq: ["error", "smart"],
            "no-var": "error",
            "prefer-const": "error",
            "no-console": ["error", { allow: ["error", "warn"] }],
        },
    },
];
