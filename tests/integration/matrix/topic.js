module.exports = { topic: 'not transformed' };
