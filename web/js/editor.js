// The pages' code editor: CodeMirror 6 from npm (served by the app under /modules/, see
// server/modules.py), with Python highlighting and indentation, Tab to indent, Ctrl+Enter to run.
import { basicSetup, EditorView } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";

const theme = EditorView.theme({
  "&": { fontSize: "12.5px", border: "1px solid var(--line)", borderRadius: "6px", background: "#fff" },
  "&.cm-focused": { outline: "2px solid #9cc3e6" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.45" },
  ".cm-gutters": { background: "#f7f8f9", borderRight: "1px solid var(--line)", color: "#9aa0a6" },
});

// An editor in `parent` holding `text`; Ctrl+Enter (Cmd+Enter) calls onRun with its text; `id`
// goes on its editable element. Returns { view, text (get/set) }.
export function codeEditor(parent, { text = "", onRun = () => {}, label = "code", id } = {}) {
  const run = { key: "Mod-Enter", run: (view) => { onRun(view.state.doc.toString()); return true; } };
  const view = new EditorView({
    doc: text,
    parent,
    extensions: [Prec.highest(keymap.of([run])), basicSetup, keymap.of([indentWithTab]), python(), theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label, ...(id ? { id } : {}) })],
  });
  return {
    view,
    get text() { return view.state.doc.toString(); },
    set text(value) {
      if (value !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
    },
  };
}
