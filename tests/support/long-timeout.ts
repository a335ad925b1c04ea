// Integration tests run child Jest processes that take seconds each; `testTimeout` is a global-only
// option, so the integration project raises its timeout here.
jest.setTimeout(120_000);
