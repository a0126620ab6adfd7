import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { ConfigurationError } from './errors.js';

/*
 * Emails and response pages are Handlebars templates kept as files in one
 * folder: `<name>.html.hbs` and `<name>.txt.hbs`, with partials (layouts)
 * named `_<name>.html.hbs` / `_<name>.txt.hbs`. HTML templates escape every
 * `{{value}}`; text templates are compiled with `noEscape`, since a plain
 * text part shown as `&lt;` would be wrong, and each kind gets its own
 * Handlebars environment so that a text partial can never leak into HTML.
 */

type Compiled = Handlebars.TemplateDelegate<object>;
type Kind = 'html' | 'txt';

/** Rendered email parts. */
export interface RenderedEmail {
  readonly html: string;
  readonly text: string;
}

/** Renders the templates of one folder. */
export interface Renderer {
  /** An email's HTML and plain-text parts from `<name>.html/.txt.hbs`. */
  email(name: string, view: object): RenderedEmail;
  /** A web page from `<name>.html.hbs`. */
  page(name: string, view: object): string;
}

const FILE_PATTERN = /^(_?)([a-z][a-z0-9-]*)\.(html|txt)\.hbs$/;

const compilerOptions = (kind: Kind): CompileOptions => ({
  noEscape: kind === 'txt',
  preventIndent: true,
});

type CompileOptions = Parameters<typeof Handlebars.compile>[1];

interface TemplateFile {
  readonly name: string;
  readonly kind: Kind;
  readonly partial: boolean;
  readonly source: string;
}

const readFolder = (dir: string): TemplateFile[] => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new ConfigurationError(
      'TEMPLATES_DIR does not name a readable folder of templates',
      { cause: error },
    );
  }

  return names.flatMap((file) => {
    const match = FILE_PATTERN.exec(file);
    if (!match) return [];
    const [, underscore, name, kind] = match as unknown as [
      string,
      string,
      string,
      Kind,
    ];

    return [
      {
        name,
        kind,
        partial: underscore === '_',
        source: readFileSync(join(dir, file), 'utf8'),
      },
    ];
  });
};

const compileKind = (files: readonly TemplateFile[], kind: Kind) => {
  const env = Handlebars.create();
  const options = compilerOptions(kind);
  const templates = new Map<string, Compiled>();
  for (const file of files.filter((f) => f.kind === kind)) {
    const compiled = env.compile<object>(file.source, options);
    if (file.partial) env.registerPartial(file.name, compiled);
    else templates.set(file.name, compiled);
  }

  return templates;
};

const pick = (templates: Map<string, Compiled>, name: string, kind: Kind) => {
  const template = templates.get(name);
  if (template === undefined) {
    throw new ConfigurationError(`No template ${name}.${kind}.hbs`);
  }

  return template;
};

/**
 * Reads and compiles every template of a folder once. Call it at module
 * scope, so that a missing folder fails at cold start.
 */
export const createRenderer = (dir: string): Renderer => {
  const files = readFolder(dir);
  const html = compileKind(files, 'html');
  const text = compileKind(files, 'txt');

  return {
    email: (name, view) => ({
      html: pick(html, name, 'html')(view),
      text: pick(text, name, 'txt')(view),
    }),
    page: (name, view) => pick(html, name, 'html')(view),
  };
};
