/**
 * The operator's README.txt in a bundle folder: plain words for someone who
 * is not technical. `{{name}}` fields are filled by {@link renderOperatorReadme};
 * `[with-exe]` … `[/with-exe]` and `[without-exe]` … `[/without-exe]` keep one
 * of two blocks, depending on whether the folder holds the collector program.
 */
export const OPERATOR_README_TEMPLATE = `triage: collecting evidence from one computer
============================================

Case:     {{case}} (client {{client}})
Computer: {{host}}
Valid until: {{expires}}   <- after this, this folder no longer works
Upload:   {{upload}}

What is in this folder
----------------------
[with-exe]
  {{exe_column}} the collection program; it needs nothing else installed
[/with-exe]
  bundle.json      where the evidence goes and the permission to upload it.
                   It is secret: do not e-mail it in clear; delete it when done.
  README.txt       this text

What to do
----------
[with-exe]
On the computer, open a terminal in this folder and run, as administrator:

    sudo ./{{exe}}

It explains what it will do, waits for Enter, and then works on its own.
[/with-exe]
[without-exe]
On the computer, with the triage-collect program installed, run as administrator:

    sudo triage-collect run --config bundle.json
[/without-exe]
It only reads the computer: nothing on it is changed or deleted. It locks
(encrypts) what it collects so that only the examiner can open it, keeps a
copy here (a file ending in .triage, with a receipt beside it), uploads it
and checks that it arrived intact.

At the end it prints a "manifest sha256" check value. Tell it to the
examiner by phone or chat, not together with the file.

If something goes wrong
-----------------------
If the upload fails, nothing is lost: the .triage file here is complete.
When the network works again, run (the file name is the one it printed):

[with-exe]
    sudo ./{{exe}} upload HOST-TIME-RANDOM.triage
[/with-exe]
[without-exe]
    sudo triage-collect upload HOST-TIME-RANDOM.triage --config bundle.json
[/without-exe]

It continues where it stopped. If it keeps failing, or the folder has
expired, call the admin and read them the line that starts with
"triage-collect:". You can also hand the .triage file over on a USB stick:
it is encrypted, only the examiner can open it.
`;

/** The values of {@link OPERATOR_README_TEMPLATE}. */
export interface OperatorReadmeValues {
  readonly client: string;
  readonly case: string;
  readonly host: string;
  readonly expires: string;
  readonly upload: string;
  /** The collector program's file name in the folder; absent when the folder has none. */
  readonly exe?: string | undefined;
}

/** Fills the template: keeps the block for with or without the program, then the fields. */
export function renderOperatorReadme(values: OperatorReadmeValues): string {
  const keep = values.exe ? 'with-exe' : 'without-exe';
  const drop = values.exe ? 'without-exe' : 'with-exe';
  return OPERATOR_README_TEMPLATE.replace(new RegExp(`\\[${drop}\\]\\n[\\s\\S]*?\\[/${drop}\\]\\n`, 'g'), '')
    .replace(new RegExp(`\\[/?${keep}\\]\\n`, 'g'), '')
    .replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const fields: Record<string, string | undefined> = { ...values, exe_column: values.exe?.padEnd(16) };
      const value = fields[name];
      if (value === undefined) throw new Error(`operator README: no value for {{${name}}}`);
      return value;
    });
}
