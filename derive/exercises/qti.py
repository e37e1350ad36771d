"""An exercise set as a QTI 1.2 package in Canvas's flavour: `imsmanifest.xml`, one assessment,
a section per variant holding one numerical item per asked quantity, and the diagrams.

Facts from Canvas's importer (its QTI converter's NumericInteraction) and Canvas's own export:
- `question_type` numerical_question, answered in a `<render_fib fibtype="Decimal">`;
- an exact answer with a margin is `<or><varequal>v</varequal><and><vargte>v − m</vargte>
  <varlte>v + m</varlte></and></or>`; Canvas reads the margin as (varlte − varequal), so the
  bounds are written exactly (decimal arithmetic); every Canvas numerical answer is full
  credit, so a second range (the hand-carried value) is a second `respcondition`;
- a section with `selection_number` becomes a question group (here: all of a variant's items);
- files go in the zip as `webcontent` resources, referenced from HTML as
  `$IMS-CC-FILEBASE$/<path>`.

Same set, same bytes: fixed identifiers, file order, timestamps and compression.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

from derive.exercises import lms
from derive.exercises.exercise_set import ExerciseSet

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FILEBASE = "$IMS-CC-FILEBASE$"
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
RESPONSE = "response1"


def ident(text: str) -> str:
    """An identifier from a set's label: letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "set"


def qti_zip(exercises: ExerciseSet, lang: str) -> bytes:
    """The set as a QTI 1.2 zip that Canvas imports, questions' words in `lang`."""
    label = lms.set_label(exercises)
    base = f"derive_{ident(label)}"
    pages = lms.pages(exercises, lang)
    images = {page.id: f"images/{base}_{page.image}" for page in pages}
    assessment = f"{base}/{base}.xml"
    files = [
        ("imsmanifest.xml", _manifest(base, assessment, list(images.values()))),
        (assessment, _assessment(base, label, pages, images)),
        *((images[page.id], page.svg) for page in pages),
    ]
    return _zip(files)


def _assessment(base: str, title: str, pages: list[lms.Page], images: dict[str, str]) -> bytes:
    html = lms.Html()
    root = ET.Element(
        "questestinterop",
        {"xmlns": QTI, "xmlns:xsi": XSI, "xsi:schemaLocation": f"{QTI} {QTI}p1.xsd"},
    )
    test = ET.SubElement(root, "assessment", ident=base, title=title)
    _metadata(ET.SubElement(test, "qtimetadata"), cc_maxattempts="1")
    top = ET.SubElement(test, "section", ident="root_section")
    for page in pages:
        section = ET.SubElement(top, "section", ident=f"{base}_{page.id}", title=page.id)
        selection = ET.SubElement(ET.SubElement(section, "selection_ordering"), "selection")
        ET.SubElement(selection, "selection_number").text = str(len(page.asked))
        extension = ET.SubElement(selection, "selection_extension")
        ET.SubElement(extension, "points_per_item").text = "1"
        src = f"{FILEBASE}/{images[page.id]}"
        for k, asked in enumerate(page.asked, start=1):
            item = ET.SubElement(
                section,
                "item",
                ident=f"{base}_{page.id}_{k}",
                title=f"{page.id} {k}. {asked.label}",
            )
            _item(item, html.item(page, src, asked), html.worked(page, [asked]), asked)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _item(item: ET.Element, text: str, worked: str, asked: lms.Asked) -> None:
    _metadata(
        ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata"),
        question_type="numerical_question",
        points_possible="1",
    )
    presentation = ET.SubElement(item, "presentation")
    _mattext(ET.SubElement(presentation, "material"), text)
    response = ET.SubElement(presentation, "response_str", ident=RESPONSE, rcardinality="Single")
    fib = ET.SubElement(response, "render_fib", fibtype="Decimal")
    ET.SubElement(fib, "response_label", ident="answer1")
    processing = ET.SubElement(item, "resprocessing")
    ET.SubElement(
        ET.SubElement(processing, "outcomes"),
        "decvar",
        maxvalue="100",
        minvalue="0",
        varname="SCORE",
        vartype="Decimal",
    )
    general = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
    ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
    ET.SubElement(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    for a in asked.accepted:
        if not a.full:  # Canvas's numerical answers are all full credit
            continue
        condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
        either = ET.SubElement(ET.SubElement(condition, "conditionvar"), "or")
        ET.SubElement(either, "varequal", respident=RESPONSE).text = lms.number(a.value)
        within = ET.SubElement(either, "and")
        low, high = a.value - a.tolerance, a.value + a.tolerance
        ET.SubElement(within, "vargte", respident=RESPONSE).text = lms.number(low)
        ET.SubElement(within, "varlte", respident=RESPONSE).text = lms.number(high)
        ET.SubElement(condition, "setvar", action="Set", varname="SCORE").text = "100"
    feedback = ET.SubElement(item, "itemfeedback", ident="general_fb")
    _mattext(ET.SubElement(ET.SubElement(feedback, "flow_mat"), "material"), worked)


def _manifest(base: str, assessment: str, images: list[str]) -> bytes:
    root = ET.Element(
        "manifest",
        {
            "identifier": f"{base}_manifest",
            "xmlns": CP,
            "xmlns:xsi": XSI,
            "xsi:schemaLocation": f"{CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
        },
    )
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    test = ET.SubElement(resources, "resource", identifier=base, type="imsqti_xmlv1p2")
    ET.SubElement(test, "file", href=assessment)
    names = [f"{base}_image_{k}" for k in range(1, len(images) + 1)]
    for name in names:
        ET.SubElement(test, "dependency", identifierref=name)
    for name, path in zip(names, images, strict=True):
        image = ET.SubElement(resources, "resource", identifier=name, type="webcontent", href=path)
        ET.SubElement(image, "file", href=path)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _metadata(parent: ET.Element, **fields: str) -> None:
    for label, entry in fields.items():
        field = ET.SubElement(parent, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry


def _mattext(material: ET.Element, html: str) -> None:
    ET.SubElement(material, "mattext", texttype="text/html").text = html


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend on its files alone: fixed times, permissions, system and
    compression, entries in the given order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever machine writes it
            archive.writestr(info, data, compresslevel=9)
    return out.getvalue()
