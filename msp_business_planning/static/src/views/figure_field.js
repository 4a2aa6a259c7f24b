import { getCurrency } from "@web/core/currency";
import { registry } from "@web/core/registry";
import { FloatField, floatField } from "@web/views/fields/float/float_field";
import { formatFloat, formatMonetary } from "@web/views/fields/formatters";

// Decimals of a number reported by hand that is not whole (tools/figures.py).
const NUMBER_DIGITS = 2;
// Decimals of a weighted count, a forecast (tools/figures.py, WEIGHTED_DIGITS).
const WEIGHTED_DIGITS = 1;
// The objective kinds whose forecast weighs open deals (tools/deal_tracking.py,
// TRACKED_KINDS' "pipeline"); the others' forecast is their actual.
const PIPELINE_KINDS = ["won_deal"];

/**
 * The one rounding rule of tools/figures.py, round_figure(): halves away from zero,
 * at the decimal written (2.675 gives 2.68), so that a figure reads the same in the
 * back office as on the portal, in the PDF and in the workbook.
 */
export function roundFigure(value, digits = 0) {
    const sign = value < 0 ? -1 : 1;
    const shifted = Number(`${Math.abs(value)}e${digits}`);
    if (!Number.isFinite(shifted)) {
        // Tiny values written with an exponent (1e-7): nothing to keep at these digits.
        return sign * (Math.round(Math.abs(value) * 10 ** digits) / 10 ** digits);
    }
    return sign * Number(`${Math.round(shifted)}e-${digits}`);
}

function many2oneId(value) {
    // [id, name] in Odoo 18, {id, display_name} in Odoo 19.
    return Array.isArray(value) ? value[0] : value?.id;
}

/**
 * A target or actual of an objective as people read it (the record's figure_kind):
 * a whole number for a count, the plan currency's symbol for an amount, decimals for
 * a number reported by hand only when it has some. With options="{'kind': 'score'}",
 * an excellence score (0-100): a whole number, as its topics' scores read. With
 * options="{'weighted': true}", a forecast: a count weighted by probabilities reads
 * with one decimal (tools/figures.py, forecast_kind()).
 */
export class FigureField extends FloatField {
    static props = {
        ...FloatField.props,
        kind: { type: String, optional: true },
        weighted: { type: Boolean, optional: true },
    };

    get figureKind() {
        const kind = this.props.kind || this.props.record.data.figure_kind || "number";
        const pipeline = PIPELINE_KINDS.includes(this.props.record.data.objective_type);
        return this.props.weighted && pipeline && kind === "count" ? "weighted" : kind;
    }

    get currencyId() {
        return many2oneId(this.props.record.data.currency_id);
    }

    get figureDigits() {
        const kind = this.figureKind;
        if (kind === "count" || kind === "score") {
            return 0;
        }
        if (kind === "weighted") {
            return WEIGHTED_DIGITS;
        }
        if (kind === "amount") {
            return getCurrency(this.currencyId)?.digits?.[1] ?? 2;
        }
        return Number.isInteger(roundFigure(this.value || 0, NUMBER_DIGITS)) ? 0 : NUMBER_DIGITS;
    }

    get formattedValue() {
        if (this.value === false || this.value === undefined) {
            return "";
        }
        const digits = [16, this.figureDigits];
        const rounded = roundFigure(this.value, this.figureDigits);
        if (!this.props.readonly) {
            return formatFloat(rounded, { digits });
        }
        if (this.figureKind === "amount" && this.currencyId) {
            return formatMonetary(rounded, { currencyId: this.currencyId, digits });
        }
        return formatFloat(rounded, { digits });
    }
}

export const figureField = {
    ...floatField,
    component: FigureField,
    displayName: "Figure",
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...floatField.extractProps(fieldInfo, dynamicInfo),
        kind: fieldInfo.options.kind,
        weighted: Boolean(fieldInfo.options.weighted),
    }),
    fieldDependencies: ({ options }) => [
        ...(options.kind
            ? []
            : [
                  { name: "figure_kind", type: "selection" },
                  { name: "currency_id", type: "many2one", relation: "res.currency" },
              ]),
        ...(options.weighted ? [{ name: "objective_type", type: "selection" }] : []),
    ],
};

registry.category("fields").add("msp_figure", figureField);
