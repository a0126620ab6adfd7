import { getCase } from './cases.js';
import { TransientError } from './errors.js';
import { formatUtc } from './format.js';
import { logger } from './logger.js';
import { hasStrayControl } from './model.js';
import type { Renderer } from './rendering.js';
import {
  type AnswerOutcome,
  answerRequest,
  findByToken,
  isExpired,
  type ResponseAnswer,
  type ResponseRequest,
  restateAnswer,
} from './responses.js';

/*
 * The public pages behind the links in request emails. Opening a link
 * (GET, HEAD) changes nothing, because mail security scanners open every
 * link before the person does; only the form's POST records an answer.
 */

/** Longest comment a stakeholder may write. */
export const MAX_COMMENT_LENGTH = 2_000;

/** Larger form bodies are refused before parsing. */
const MAX_FORM_BYTES = 16 * 1024;

/** Headers every response page carries, named in lower case as HTTP/2 does. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " +
    "base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
} as const;

/** A request to a response page, free of any HTTP framework's types. */
export interface PageRequest {
  readonly method: string;
  readonly token: string;
  readonly contentType?: string;
  readonly body?: string;
}

export interface PageResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface LinkContext {
  readonly request: ResponseRequest;
  readonly optionIndex: number;
  readonly caseName?: string;
}

const NOTICES = {
  notFound: {
    status: 404,
    title: 'Link not found',
    message:
      'This link is not valid. Check that you opened the whole link from ' +
      'the email.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    message:
      'The deadline for answering has passed, so this link can no longer ' +
      'be used. Reply to the insider risk team directly if you still want ' +
      'to answer.',
  },
  busy: {
    status: 503,
    title: 'Please try again',
    message: 'The service is busy. Please try again in a minute.',
  },
  failed: {
    status: 500,
    title: 'Something went wrong',
    message: 'Your answer could not be handled. Please try again later.',
  },
  method: {
    status: 405,
    title: 'Not supported',
    message: 'Open the link from the email to answer.',
  },
} as const;

type Notice = (typeof NOTICES)[keyof typeof NOTICES];

/**
 * Answers a request to a response page. Errors become a page too: a busy
 * database a 503, anything unexpected a 500 (logged with its cause).
 */
export const respondToLink = async (
  page: PageRequest,
  renderer: Renderer,
  now: Date,
): Promise<PageResponse> => {
  let response: PageResponse;
  try {
    response = await route(page, renderer, now);
  } catch (error) {
    const transient = error instanceof TransientError;
    if (transient) logger.warn('Response page busy', { error });
    else logger.error('Response page failed', { error });
    response = notice(renderer, transient ? NOTICES.busy : NOTICES.failed);
  }

  return page.method === 'HEAD' ? { ...response, body: '' } : response;
};

const route = async (
  page: PageRequest,
  renderer: Renderer,
  now: Date,
): Promise<PageResponse> => {
  if (!['GET', 'HEAD', 'POST'].includes(page.method)) {
    return notice(renderer, NOTICES.method);
  }
  const found = await findByToken(page.token);
  if (found === undefined) return notice(renderer, NOTICES.notFound);
  logger.appendKeys({
    runId: found.request.runId,
    caseId: found.request.caseId,
    requestId: found.request.requestId,
  });
  const link = {
    ...found,
    caseName: (await getCase(found.request.caseId))?.name,
  };

  return page.method === 'POST'
    ? submit(link, page, renderer, now)
    : show(link, renderer, now);
};

const show = (
  link: LinkContext,
  renderer: Renderer,
  now: Date,
): PageResponse => {
  if (link.request.answer) {
    return recorded(renderer, link, link.request.answer, true);
  }
  if (isExpired(link.request, now)) return notice(renderer, NOTICES.expired);

  return form(renderer, link, { optionIndex: link.optionIndex });
};

const submit = async (
  link: LinkContext,
  page: PageRequest,
  renderer: Renderer,
  now: Date,
): Promise<PageResponse> => {
  const { request } = link;
  if (request.answer) {
    const outcome = await restateAnswer(request, request.answer);

    return afterAnswer(link, outcome, renderer);
  }
  if (isExpired(request, now)) return notice(renderer, NOTICES.expired);
  const parsed = parseAnswerForm(page, request);
  if ('problems' in parsed) {
    return form(renderer, link, parsed.values, parsed.problems);
  }
  const outcome = await answerRequest(request, {
    ...parsed.answer,
    answeredAt: now.toISOString(),
  });

  return afterAnswer(link, outcome, renderer);
};

const afterAnswer = (
  link: LinkContext,
  outcome: AnswerOutcome,
  renderer: Renderer,
): PageResponse => {
  if (outcome.kind === 'expired') return notice(renderer, NOTICES.expired);
  const already = outcome.kind === 'already-recorded';
  logger.info(already ? 'Response already recorded' : 'Response recorded');

  return recorded(renderer, link, outcome.answer, already);
};

interface FormValues {
  readonly optionIndex?: number;
  readonly comment?: string;
}

type ParsedForm =
  | { answer: Omit<ResponseAnswer, 'answeredAt'> }
  | { problems: string[]; values: FormValues };

/** Reads the posted form; a problem list says what to fix. */
export const parseAnswerForm = (
  page: Pick<PageRequest, 'contentType' | 'body'>,
  request: Pick<ResponseRequest, 'options' | 'allowComment'>,
): ParsedForm => {
  const mediaType = (page.contentType ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  const body = page.body ?? '';
  if (mediaType !== 'application/x-www-form-urlencoded') {
    return { problems: ['Send your answer with the form below.'], values: {} };
  }
  if (Buffer.byteLength(body) > MAX_FORM_BYTES) {
    return { problems: ['The form was too large to read.'], values: {} };
  }
  const fields = new URLSearchParams(body);
  const optionIndex = parseOption(fields.get('option'), request.options.length);
  const comment = request.allowComment
    ? (fields.get('comment') ?? '').replace(/\r\n?/g, '\n').trim()
    : '';
  const problems = [
    ...(optionIndex === undefined ? ['Choose one of the answers.'] : []),
    ...(comment.length > MAX_COMMENT_LENGTH
      ? [`Shorten the comment to at most ${MAX_COMMENT_LENGTH} characters.`]
      : []),
    ...(hasStrayControl(comment)
      ? ['Remove control characters from the comment; line breaks are fine.']
      : []),
  ];
  if (optionIndex === undefined || problems.length > 0) {
    return { problems, values: { optionIndex, comment } };
  }
  const option = request.options[optionIndex] ?? '';

  return { answer: { optionIndex, option, ...(comment ? { comment } : {}) } };
};

const parseOption = (
  value: string | null,
  optionCount: number,
): number | undefined => {
  if (value === null || !/^\d{1,2}$/.test(value)) return undefined;
  const index = Number(value);

  return index < optionCount ? index : undefined;
};

const caseView = (link: LinkContext) => ({
  question: link.request.question,
  caseId: link.request.caseId,
  caseName: link.caseName,
  recipientName: link.request.recipientName ?? link.request.recipient,
});

const form = (
  renderer: Renderer,
  link: LinkContext,
  values: FormValues,
  problems: readonly string[] = [],
): PageResponse =>
  html(renderer, problems.length > 0 ? 400 : 200, 'response-form', {
    title: link.request.question,
    ...caseView(link),
    options: link.request.options.map((label, index) => ({
      index,
      label,
      checked: index === values.optionIndex,
    })),
    allowComment: link.request.allowComment,
    comment: values.comment ?? '',
    maxComment: MAX_COMMENT_LENGTH,
    expiresAt: formatUtc(link.request.expiresAt),
    problems,
  });

const recorded = (
  renderer: Renderer,
  link: LinkContext,
  answer: ResponseAnswer,
  already: boolean,
): PageResponse =>
  html(renderer, 200, 'response-recorded', {
    title: already ? 'Answer already recorded' : 'Thank you',
    already,
    ...caseView(link),
    option: answer.option,
    comment: answer.comment,
    answeredAt: formatUtc(answer.answeredAt),
  });

const notice = (renderer: Renderer, which: Notice): PageResponse =>
  html(renderer, which.status, 'response-notice', {
    title: which.title,
    message: which.message,
  });

const html = (
  renderer: Renderer,
  statusCode: number,
  template: string,
  view: object,
): PageResponse => ({
  statusCode,
  headers: { ...PAGE_HEADERS },
  body: renderer.page(template, view),
});
