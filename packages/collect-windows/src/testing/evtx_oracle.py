"""Extracts comparable fields from the two reference EVTX parsers, one JSON line per record.

Used by src/evtx/differential.test.ts with Debian's python-evtx 0.6.1 and
libyal evtxexport 20181227 (see @triage/testkit debianParsers). Standard
library only.

  python3 evtx_oracle.py python-evtx FILE
      Each record python-evtx reads, through its library one record at a time
      (evtx_dump.py stops the whole file at the first record it cannot
      render, so it cannot be used for damaged files).
  python3 evtx_oracle.py evtxexport TEXT_OUTPUT XML_OUTPUT
      Pairs evtxexport's text output (record number, written time) with its
      XML output (the rendered event), which list the same records in order.

Each line: {"id", "written", "eventId", "qualifiers", "provider", "computer",
"channel", "recordIdInEvent", "timeCreated", "eventData": [[element, Name or
null, text]], "userData": [[path, text]]} or {"id", "error"}.
"""

import json
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"


# evtxexport writes control characters raw, which no XML parser accepts: carry them through the
# parse in the private-use area (U+F000 + code) and restore them in the extracted text.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def shield(text):
    return CONTROL.sub(lambda m: chr(0xF000 + ord(m.group())), text)


def unshield(value):
    if isinstance(value, str):
        return re.sub("[\uf000-\uf01f]", lambda m: chr(ord(m.group()) - 0xF000), value)
    if isinstance(value, list):
        return [unshield(v) for v in value]
    if isinstance(value, dict):
        return {k: unshield(v) for k, v in value.items()}
    return value


def local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def fields(root):
    """The comparable fields of one rendered <Event>."""
    out = {"eventData": [], "userData": []}
    system = None
    for child in root:
        if local(child.tag) == "System":
            system = child
    if system is not None:
        for el in system:
            name = local(el.tag)
            if name == "Provider":
                out["provider"] = el.get("Name")
            elif name == "EventID":
                out["eventId"] = (el.text or "").strip()
                out["qualifiers"] = el.get("Qualifiers")
            elif name == "Computer":
                out["computer"] = el.text or ""
            elif name == "Channel":
                out["channel"] = el.text or ""
            elif name == "EventRecordID":
                out["recordIdInEvent"] = (el.text or "").strip()
            elif name == "TimeCreated":
                out["timeCreated"] = el.get("SystemTime")
    for child in root:
        name = local(child.tag)
        if name == "EventData":
            for data in child:
                out["eventData"].append([local(data.tag), data.get("Name"), "".join(data.itertext())])
        elif name == "UserData":
            def walk(el, path):
                kids = list(el)
                here = path + "/" + local(el.tag)
                for key, value in sorted(el.attrib.items()):
                    if local(key) != "xmlns" and not key.startswith("{http://www.w3.org/2000/xmlns/}"):
                        out["userData"].append([here + "/@" + local(key), value])
                if not kids:
                    out["userData"].append([here, el.text or ""])
                for kid in kids:
                    walk(kid, here)
            for kid in child:
                walk(kid, "")
    return out


def python_evtx(path):
    import Evtx.Evtx as evtx

    with evtx.Evtx(path) as log:
        for index, chunk in enumerate(log.chunks()):
            records = chunk.records()
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except Exception as error:  # the chunk's record chain is broken: python-evtx stops there
                    print(json.dumps({"chunk": index, "error": repr(error)}))
                    break
                line = {"chunk": index, "id": record.record_num()}
                try:
                    line["written"] = record.timestamp().isoformat()
                    line.update(fields(ET.fromstring(record.xml())))
                except Exception as error:
                    line["error"] = repr(error)
                print(json.dumps(line))


def evtxexport(text_path, xml_path):
    with open(text_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(xml_path, encoding="utf-8", errors="replace") as f:
        xml = f.read()
    heads = re.findall(r"^Event number\t+: (\d+)\nWritten time\t+: (.*)$", text, re.M)
    events = re.findall(r"<Event[ >].*?</Event>", xml, re.S)
    if len(heads) != len(events):
        raise SystemExit("evtxexport text lists %d records, XML %d" % (len(heads), len(events)))
    for (number, written), event in zip(heads, events):
        line = {"id": int(number), "written": written.strip()}
        try:
            line.update(unshield(fields(ET.fromstring(shield(event)))))
        except Exception as error:
            line["error"] = repr(error)
        print(json.dumps(line))


if __name__ == "__main__":
    if sys.argv[1] == "python-evtx":
        python_evtx(sys.argv[2])
    elif sys.argv[1] == "evtxexport":
        evtxexport(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: evtx_oracle.py python-evtx FILE | evtxexport TEXT XML")
