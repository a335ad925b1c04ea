require('./client-tests.cjs')({
  OpenAI: require('openai').default,
  openaiVersion: require('openai/version').VERSION,
  Anthropic: require('@anthropic-ai/sdk').default,
  axios: require('axios'),
  undici: require('undici'),
  nock: require('nock'),
});
