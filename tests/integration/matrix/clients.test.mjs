// Native ESM (run with `node --experimental-vm-modules`): the SDKs load as ES modules.
import Anthropic from '@anthropic-ai/sdk';
import axios from 'axios';
import nock from 'nock';
import OpenAI from 'openai';
import { VERSION } from 'openai/version';
import * as undici from 'undici';
import clientTests from './client-tests.cjs';

clientTests({ OpenAI, openaiVersion: VERSION, Anthropic, axios, undici, nock });
