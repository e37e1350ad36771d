"""matplotlib's SVG with its <use> references drawn in place: one path per text label and per
set of tick marks.

matplotlib writes each glyph of a label, each tick and each marker as a <use> of a shared
definition. WeasyPrint copies, restyles and parses the definition again for every <use>: four
fifths of the time it takes to draw a chart into a PDF, which is the last thing `derive
train` waits for. The same outlines, moved to where each <use> puts them and joined into one
path per group, draw in half the time and look the same. (A filled marker gets a path of its own:
joined, a marker's face would no longer hide the edge of the one under it.)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
USE, PATH, DEFS = f"{{{SVG}}}use", f"{{{SVG}}}path", f"{{{SVG}}}defs"
HREF = f"{{{XLINK}}}href"
# absolute commands, each followed by its coordinate pairs (what matplotlib writes)
COMMANDS = re.compile(r"([MLQCZz])([^MLQCZz]*)")
TRANSLATE = re.compile(r"translate\(\s*([-\d.e]+)(?:[\s,]+([-\d.e]+))?\s*\)")
SCALE = re.compile(r"scale\(\s*([-\d.e]+)\s*\)")


def flattened(svg: bytes) -> bytes:
    """The SVG with each run of <use> elements that share a definition and a style replaced
    by one <path>, and the definitions no longer referenced dropped."""
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    root = ET.fromstring(svg)
    shapes = {e.get("id"): e for e in root.iter(PATH) if e.get("id")}
    for parent in list(root.iter()):
        children = list(parent)
        if children and all(c.tag in (USE, DEFS) for c in children):
            _join_uses(parent, children, shapes)
    used = {e.get(HREF, "")[1:] for e in root.iter(USE)}
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == DEFS:
                for shape in list(child):
                    if shape.tag == PATH and shape.get("id") not in used:
                        child.remove(shape)
                if not len(child):
                    parent.remove(child)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _join_uses(parent: ET.Element, children: list[ET.Element], shapes: dict) -> None:
    """Replace the <use> children of `parent` by one path per (definition, style), where the
    first of them was; a filled shape (a marker) by a path of its own."""
    joined: dict[tuple[str, str, int], tuple[ET.Element, list[str]]] = {}
    for use in (c for c in children if c.tag == USE):
        shape = shapes.get(use.get(HREF, "")[1:])
        moved = _moved(shape, use) if shape is not None else None
        if moved is None:
            continue
        style = _style(shape.get("style", ""), use.get("style", ""))
        # a filled marker on its own: joined, their faces would not hide each other's edges
        key = (use.get(HREF, ""), style, id(use) if _filled(style) else 0)
        if key not in joined:
            path = ET.Element(PATH, {"style": style} if style else {})
            parent.insert(list(parent).index(use), path)
            joined[key] = (path, [])
        joined[key][1].append(moved)
        parent.remove(use)
    for path, outlines in joined.values():
        path.set("d", " ".join(outlines))


def _moved(shape: ET.Element, use: ET.Element) -> str | None:
    """The definition's outline where the <use> draws it, or None where either does more
    than a shift and a uniform scale."""
    if set(use.attrib) - {HREF, "x", "y", "transform", "style"}:
        return None
    if set(shape.attrib) - {"id", "d", "transform", "style"}:
        return None
    dx, dy = float(use.get("x", 0)), float(use.get("y", 0))
    if use.get("transform"):
        shift = TRANSLATE.fullmatch(use.get("transform", "").strip())
        if shift is None:
            return None
        dx, dy = dx + float(shift.group(1)), dy + float(shift.group(2) or 0)
    scale = 1.0
    if shape.get("transform"):
        found = SCALE.fullmatch(shape.get("transform", "").strip())
        if found is None:
            return None
        scale = float(found.group(1))
    out = []
    for command, numbers in COMMANDS.findall(shape.get("d", "")):
        values = [float(v) for v in numbers.replace(",", " ").split()]
        if len(values) % 2:
            return None
        points = [
            f"{_number(x * scale + dx)} {_number(y * scale + dy)}"
            for x, y in zip(values[::2], values[1::2], strict=True)
        ]
        out.append(" ".join([command.upper() if command == "z" else command, *points]))
    return " ".join(out)


def _style(own: str, inherited: str) -> str:
    """The definition's style over the <use>'s (a definition's own declarations win)."""
    merged = dict(_declarations(inherited))
    merged.update(_declarations(own))
    return "; ".join(f"{k}: {v}" for k, v in merged.items())


def _filled(style: str) -> bool:
    return dict(_declarations(style)).get("fill", "none") != "none"


def _declarations(style: str) -> list[tuple[str, str]]:
    pairs = (part.split(":", 1) for part in style.split(";") if ":" in part)
    return [(k.strip(), v.strip()) for k, v in pairs]


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
