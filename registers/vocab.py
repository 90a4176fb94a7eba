"""Words of the register reader: the messages of a refused file and of a rejected row, lazy gettext strings with
English msgids (the Chinese is in translations/zh_Hans_CN/LC_MESSAGES/messages.po), and the canonical fields'
names as a report shows them."""
from flask_babel import lazy_gettext as _l

ERROR_MESSAGES = {
    # the file as a whole (raised as registers.reader.RegisterRefused)
    "register_empty": _l("The file is empty."),
    "register_too_large": _l("The file is too large: at most %(max_mb)s MB (it has %(size_mb)s MB)."),
    "register_too_many_rows": _l("The file has too many rows: at most %(max)s."),
    "register_encrypted": _l("The workbook is protected by a password. Open it in Excel or WPS, remove the "
                             "password, save it as .xlsx and upload it again."),
    "register_old_xls": _l("This is an old Excel 97–2003 (.xls) workbook. Save it as .xlsx (or as CSV) in Excel "
                           "or WPS and upload it again."),
    "register_not_spreadsheet": _l("The file is not a spreadsheet: upload an .xlsx workbook or a CSV file."),
    "register_unreadable": _l("The workbook cannot be read: %(problem)s"),
    "register_encoding_unknown": _l("The CSV file is neither UTF-8 nor GBK/GB18030 text (unreadable byte at "
                                    "%(byte)s); save it as CSV UTF-8 and upload it again."),
    "register_no_table": _l("No sheet of the file has a header row naming its columns (such as 物资名称 and 数量)."),
    # a sheet
    "sheet_column_missing": _l("The sheet names no column for %(field)s."),
    # a row (registers.reader.Rejection)
    "row_value_missing": _l("%(column)s is empty."),
    "row_date_bad": _l("“%(value)s” is not a date: write it like 2025-03-01, 2025/3/1, 2025.3.1 or 2025年3月1日."),
    "row_date_out_of_range": _l("%(value)s is outside the dates a register may hold (1900 to 9000)."),
    "row_quantity_bad": _l("“%(value)s” is not a quantity: write a whole number of 0 or more, such as 1200."),
    "row_quantity_too_large": _l("%(value)s is more than %(max)s."),
    "row_quantity_unit_disagrees": _l("The quantity is written in %(written)s but the unit column says %(unit)s."),
    "row_months_bad": _l("“%(value)s” is not a shelf life: write a whole number of months from 1 to 1200, such "
                         "as 24."),
    "row_months_without_production": _l("A shelf life needs the production date it counts from."),
    "row_expiry_disagrees": _l("The expiry date %(given)s disagrees with the production date and shelf life "
                               "(%(computed)s); give one of them or make them agree."),
    "row_number_bad": _l("“%(value)s” is not a whole number of 0 or more."),
    # checked against the database (registers.importing)
    "import_depot_unknown": _l("No depot is named %(depot)s. Closest: %(candidates)s."),
    "import_item_unknown": _l("No catalog item is named %(item)s. Closest: %(candidates)s."),
    "import_depot_missing": _l("The row names no depot: add a depot column or name the depot of the whole file."),
    "import_depot_closed": _l("Depot %(depot)s is closed."),
    "import_parent_closed": _l("The parent depot %(parent)s is closed."),
    "import_depot_differs": _l("Depot %(depot)s (%(code)s) already exists as a %(tier)s under %(parent)s; the "
                               "row says otherwise."),
    "import_tier_unknown": _l("“%(value)s” is not a tier: write 县级, 乡镇 or 村级."),
    "import_tier_missing": _l("Give the tier of %(depot)s (县级, 乡镇 or 村级) or its parent depot."),
    "import_tier_rule": _l("%(depot)s cannot be a %(tier)s under %(parent)s: a village point sits under a "
                           "town station, a town station under the county depot, the county depot at the root."),
    "import_code_bad": _l("“%(code)s” is not a code: at most 32 ASCII letters, digits, '-', '_' and '.', starting "
                          "with a letter or digit."),
    "import_coordinate_bad": _l("“%(value)s” is not a coordinate from -%(max)s to %(max)s."),
    "import_text_too_long": _l("The text is longer than %(max)s characters."),
    "import_item_differs": _l("Item %(item)s (%(code)s) already exists counted in %(unit)s; the row says otherwise."),
    "import_unit_missing": _l("Give the unit of %(item)s."),
    "import_category_unknown": _l("“%(value)s” is not a category (such as 生活类, 防汛抗旱, 森林防火)."),
    "import_unit_differs": _l("The row counts in %(unit)s but %(item)s is counted in %(item_unit)s."),
    "import_quantity_zero": _l("The quantity is 0: there is nothing to take into stock."),
    "import_storage_mode_unknown": _l("“%(value)s” is not a storage mode: write 实物, 协议 or 产能."),
    "import_partner_missing": _l("Agreement and capacity stock must name the partner enterprise holding it."),
    "import_price_bad": _l("“%(value)s” is not a unit price: 0 to %(max)s yuan with at most two decimals."),
    "import_expired": _l("The stock expired on %(date)s; expired stock is not taken in."),
    "import_row_imported": _l("This row is already in stock as lot %(lot)s."),
    "import_lot_differs": _l("Lot %(lot)s exists with other values than this row."),
    "import_town_unknown": _l("No town station is named %(town)s. Closest: %(candidates)s."),
    "import_shelter_town_missing": _l("Give the town of shelter %(shelter)s (所属乡镇)."),
    "import_shelter_place_missing": _l("Give the latitude and longitude of shelter %(shelter)s."),
    "import_shelter_code_taken": _l("Code %(code)s is already a depot's."),
    "import_lot_balance_differs": _l("Lot %(lot)s holds %(held)s, not %(quantity)s: an import never changes the "
                                     "balance of a lot in stock; count the lot (盘点) instead."),
    "import_received_bad": _l("The received date %(received)s is after today or after the expiry date "
                              "(%(expires)s)."),
}

FIELD_NAMES = {
    "name": _l("Item name"),
    "item_code": _l("Item code"),
    "spec": _l("Specification"),
    "unit": _l("Unit"),
    "category": _l("Category"),
    "quantity": _l("Quantity"),
    "production_date": _l("Production date"),
    "expiry": _l("Expiry date"),
    "shelf_life_months": _l("Shelf life (months)"),
    "depot": _l("Depot"),
    "depot_code": _l("Depot code"),
    "tier": _l("Tier"),
    "parent": _l("Parent depot"),
    "lot": _l("Lot number"),
    "storage_mode": _l("Storage mode"),
    "partner": _l("Partner enterprise"),
    "shelter": _l("Shelter"),
    "shelter_code": _l("Shelter code"),
    "capacity": _l("Capacity (people)"),
    "address": _l("Address"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "unit_price": _l("Unit price"),
    "lot_code": _l("Lot code"),
    "received_on": _l("Received on"),
    "town": _l("Town"),
    "name_en": _l("English name"),
    "note": _l("Note"),
}


def english(code: str, params: dict | None = None) -> str:
    """The English text of a message (its msgid) with its parameters, whatever the request's language."""
    message = ERROR_MESSAGES[code]
    template = message._args[0] if getattr(message, "_args", None) else str(message)  # LazyString's msgid
    return template % (params or {}) if params else template.replace("%%", "%")


# the import page and the remembered names (registers.jobs, registers.aliases)
PAGE_MESSAGES = {
    "import_no_files": _l("Choose at least one file."),
    "import_too_many_files": _l("At most %(max)s files at once."),
    "import_busy": _l("This import is busy or already committed; wait for it or start a new one."),
    "import_unknown": _l("There is no such import of yours (it may have expired)."),
    "import_stopped": _l("The server stopped before this import finished; run it again."),
    "import_file_changed": _l("The kept file %(file)s changed or is gone since the dry run; upload it again."),
    "import_plan_changed": _l("The import would now differ from its dry run (the depots, items or remembered names "
                              "changed meanwhile); nothing was written. Run the dry run again."),
    "alias_kind_unknown": _l("“%(kind)s” is neither a depot nor an item."),
    "alias_name_bad": _l("The name is 1 to %(max)s characters."),
    "alias_depot_create": _l("A depot is not created from a name alone: add it to a depots sheet (库点) of the file "
                             "or on the depots page."),
    "alias_target_unknown": _l("There is no depot or item with the code %(code)s."),
    "alias_unknown": _l("There is no such remembered name."),
}

SHEET_KINDS = {"depots": _l("Depots"), "items": _l("Catalog items"), "shelters": _l("Shelters"),
               "stock": _l("Stock")}
JOB_STATUSES = {"queued": _l("Queued"), "running": _l("Dry run under way"), "checked": _l("Dry run done"),
                "committing": _l("Committing"), "committed": _l("Committed"), "failed": _l("Failed")}
