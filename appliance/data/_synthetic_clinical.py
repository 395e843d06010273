"""Clinical content for synthetic notes: problems by specialty, their findings, treatments and imaging.

Each `Problem` belongs to one specialty and comes in two flavours indexed by triage (0 = urgent,
1 = routine). The task labels are learnable from the text because the findings, numbers and plan differ
between the flavours, while presenting complaints, comorbidities and drugs deliberately overlap across
specialties (chest pain in cardiology, pulmonology and gastroenterology; apixaban in atrial fibrillation,
pulmonary embolism and stroke; furosemide in heart failure and cirrhosis), so no single keyword gives
the label away.

Numbers in templates are written `<<lo-hi>>` and drawn uniformly with as many decimals as `lo` has.
Everything here is clinical content without identifiers: vitals, doses, lab values, scores and fractions
("pain 7/10", "strength 4/5", "BP 150/90") are not PHI and get no gold span, although some look like dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random

TRIAGES: tuple[str, str] = ("urgent", "routine")
SPECIALTIES: tuple[str, ...] = ("cardiology", "pulmonology", "orthopedics", "neurology", "gastroenterology")

Pair = tuple[tuple[str, ...], tuple[str, ...]]  # (urgent options, routine options)

_NUMBER = re.compile(r"<<(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)>>")


def expand(template: str, rng: Random) -> str:
    """Replace every `<<lo-hi>>` with a uniform draw rendered with the decimals of `lo`."""

    def draw(m: re.Match[str]) -> str:
        lo, hi = m.group(1), m.group(2)
        decimals = len(lo.split(".")[1]) if "." in lo else 0
        value = rng.uniform(float(lo), float(hi))
        return f"{value:.{decimals}f}"

    return _NUMBER.sub(draw, template)


@dataclass(frozen=True)
class Med:
    name: str
    dose: str
    route: str
    freq: str

    def __str__(self) -> str:
        return f"{self.name} {self.dose} {self.route} {self.freq}"


@dataclass(frozen=True)
class Study:
    name: str  # e.g. "CT ANGIOGRAPHY CHEST WITH CONTRAST"
    technique: str
    findings: Pair
    impression: Pair


@dataclass(frozen=True)
class Problem:
    key: str
    specialty: str
    name: tuple[str, str]  # the diagnosis as written in the note, (urgent, routine)
    complaints: tuple[str, ...]
    hpi: Pair
    exam: Pair
    labs: Pair
    plan: Pair
    nursing: Pair
    key_med: tuple[Med, Med]  # the treatment the reference summary names, (urgent, routine)
    other_meds: tuple[Med, ...]
    study: Study
    urgent_vitals: tuple[tuple[str, int, int], ...] = ()  # (vital, lo, hi) overrides when urgent
    has_device: bool = False


def pick(pair: Pair, triage: str, rng: Random) -> str:
    return expand(rng.choice(pair[TRIAGES.index(triage)]), rng)


def pick_all(pair: Pair, triage: str, rng: Random, k: int) -> list[str]:
    options = pair[TRIAGES.index(triage)]
    return [expand(t, rng) for t in rng.sample(options, min(k, len(options)))]


@dataclass(frozen=True)
class Comorbidity:
    name: str
    med: Med | None


COMORBIDITIES: tuple[Comorbidity, ...] = (
    Comorbidity("HTN", Med("lisinopril", "10 mg", "PO", "daily")),
    Comorbidity("hyperlipidemia", Med("atorvastatin", "40 mg", "PO", "nightly")),
    Comorbidity("type 2 diabetes mellitus", Med("metformin", "1000 mg", "PO", "BID")),
    Comorbidity("hypothyroidism", Med("levothyroxine", "75 mcg", "PO", "daily")),
    Comorbidity("GERD", Med("omeprazole", "20 mg", "PO", "daily")),
    Comorbidity("depression", Med("sertraline", "50 mg", "PO", "daily")),
    Comorbidity("BPH", Med("tamsulosin", "0.4 mg", "PO", "nightly")),
    Comorbidity("CKD stage 3a", None),
    Comorbidity("OSA on CPAP", None),
    Comorbidity("osteoarthritis of both knees", Med("acetaminophen", "650 mg", "PO", "q6h PRN")),
    Comorbidity("paroxysmal atrial fibrillation", Med("apixaban", "5 mg", "PO", "BID")),
    Comorbidity("CAD s/p PCI to LAD", Med("aspirin", "81 mg", "PO", "daily")),
    Comorbidity("COPD", Med("albuterol MDI", "2 puffs", "inhaled", "q4h PRN")),
    Comorbidity("prior lacunar stroke", Med("clopidogrel", "75 mg", "PO", "daily")),
    Comorbidity("gout", Med("allopurinol", "100 mg", "PO", "daily")),
    Comorbidity("migraine without aura", Med("topiramate", "25 mg", "PO", "BID")),
    Comorbidity("chronic low back pain", Med("gabapentin", "300 mg", "PO", "TID")),
    Comorbidity("anemia of chronic disease", Med("ferrous sulfate", "325 mg", "PO", "daily")),
    Comorbidity("alcohol use disorder in remission", None),
    Comorbidity("obesity (BMI <<31-42>>)", None),
)

NORMAL_VITALS: dict[str, tuple[int, int]] = {
    "hr": (62, 92),
    "sbp": (112, 138),
    "dbp": (64, 86),
    "rr": (12, 18),
    "spo2": (95, 99),
    "temp10": (363, 373),
}

_LAB_BASE = (
    "Na <<134-142>>, K <<3.6-4.9>>, Cl <<98-106>>, HCO3 <<22-28>>, BUN <<10-24>>, Cr <<0.7-1.3>>, Glu <<88-160>>",
    "WBC <<5.1-9.8>>, Hgb <<11.8-14.9>>, Hct <<35-44>>, Plt <<160-340>>",
    "Mg <<1.8-2.3>>, Phos <<2.7-4.2>>, Ca <<8.6-10.1>>",
    "AST <<14-38>>, ALT <<10-40>>, Alk phos <<50-110>>, T bili <<0.3-1.1>>, Alb <<3.4-4.5>>",
    "INR <<0.9-1.2>>, PTT <<26-34>>",
    "TSH <<0.8-3.9>>, free T4 <<0.9-1.6>>",
)


def base_labs(rng: Random, k: int) -> list[str]:
    return [expand(t, rng) for t in rng.sample(_LAB_BASE, k)]


def _m(name: str, dose: str, route: str, freq: str) -> Med:
    return Med(name, dose, route, freq)


PROBLEMS: tuple[Problem, ...] = (
    # ------------------------------------------------------------------ cardiology
    Problem(
        key="acs",
        specialty="cardiology",
        name=("NSTEMI", "stable angina"),
        complaints=("chest pain", "chest pressure", "shortness of breath", "epigastric discomfort"),
        hpi=(
            (
                "substernal chest pressure radiating to the left arm that began <<2-7>> hours prior "
                "to arrival, "
                "with diaphoresis and nausea",
                "crushing chest pain at rest with troponin I rising from "
                "<<0.05-0.20>> to <<1.10-7.80>> ng/mL and new ST depressions in V4-V6",
            ),
            (
                "intermittent exertional chest tightness for <<2-8>> weeks, relieved by rest within 5 minutes",
                "chest discomfort after climbing <<2-3>> flights of stairs; serial troponins negative x3",
            ),
        ),
        exam=(
            (
                "diaphoretic, anxious; S4 gallop; no JVD",
                "cool extremities, RRR with soft 2/6 systolic murmur",
            ),
            ("NAD; RRR, no murmurs; lungs CTAB", "RRR, normal S1 S2; no edema"),
        ),
        labs=(
            ("Troponin I <<0.9-8.5>> ng/mL (H), CK-MB <<12-60>>", "Trop I <<1.2-6.0>> -> <<2.5-11.0>> ng/mL"),
            ("Troponin I <0.01 ng/mL x3", "LDL <<98-170>>, HDL <<32-55>>"),
        ),
        plan=(
            (
                "heparin infusion per ACS protocol, aspirin 325 mg load, cardiology consulted for cath within 24 h",
                "NPO after midnight for left heart cath; telemetry; trend troponins q6h",
            ),
            (
                "outpatient stress test; continue aspirin 81 mg daily and statin",
                "risk factor counselling; cardiac rehab referral",
            ),
        ),
        nursing=(
            (
                "c/o 8/10 chest pressure, ECG obtained and MD paged; heparin gtt running at 18 units/kg/h",
                "diaphoretic with HR 112, nitroglycerin 0.4 mg SL given x2 with partial relief",
            ),
            (
                "denies chest pain this shift; ambulated in hall x3 without symptoms",
                "telemetry NSR 70s, no events",
            ),
        ),
        key_med=(
            _m("metoprolol tartrate", "25 mg", "PO", "BID"),
            _m("metoprolol succinate", "50 mg", "PO", "daily"),
        ),
        other_meds=(
            _m("aspirin", "81 mg", "PO", "daily"),
            _m("atorvastatin", "80 mg", "PO", "nightly"),
            _m("nitroglycerin", "0.4 mg", "SL", "q5min PRN"),
        ),
        study=Study(
            "CHEST RADIOGRAPH, PA AND LATERAL",
            "Two views of the chest.",
            (
                ("Mild cardiomegaly. Small bilateral pleural effusions. Interstitial edema.",),
                ("Heart size is normal. Lungs are clear. No effusion or pneumothorax.",),
            ),
            (
                ("Mild pulmonary edema and small effusions in the setting of NSTEMI.",),
                ("No acute cardiopulmonary process.",),
            ),
        ),
        urgent_vitals=(("hr", 98, 124), ("sbp", 148, 186)),
    ),
    Problem(
        key="hf",
        specialty="cardiology",
        name=("acute decompensated heart failure", "chronic systolic heart failure (HFrEF)"),
        complaints=("shortness of breath", "leg swelling", "weight gain", "orthopnea", "fatigue"),
        hpi=(
            (
                "progressive dyspnea on exertion and 3-pillow orthopnea with a <<4-9>> kg weight "
                "gain over 10 days "
                "after running out of diuretics",
                "PND and bilateral leg swelling to the thighs; BNP <<1200-3400>>",
            ),
            (
                "stable NYHA class II symptoms; dry weight <<72-96>> kg and unchanged",
                "EF <<30-40>>% on last echo; no orthopnea or PND",
            ),
        ),
        exam=(
            (
                "JVP to the angle of the jaw, bibasilar crackles, 3+ pitting edema to the knees",
                "S3 gallop, crackles halfway up both lung fields",
            ),
            ("JVP not elevated, trace ankle edema", "lungs clear, no S3"),
        ),
        labs=(
            (
                "BNP <<1200-4100>> pg/mL, Cr <<1.6-2.4>> (baseline 1.1)",
                "NT-proBNP <<5000-18000>>, Na <<126-131>>",
            ),
            ("BNP <<90-300>> pg/mL", "K <<3.8-4.8>>, Cr <<0.9-1.3>> stable"),
        ),
        plan=(
            (
                "IV diuresis with goal net negative 1-2 L/day, strict I/O, daily weights, 2 g Na diet",
                "BiPAP for work of breathing, cardiology to evaluate for inotropes",
            ),
            (
                "continue GDMT; uptitrate sacubitril-valsartan as BP allows",
                "daily weights at home, call if gain > 2 lb in a day",
            ),
        ),
        nursing=(
            (
                "SpO2 87% on 4L NC, placed on BiPAP per RT; urine output 150 mL over 4 h",
                "up to chair, became dyspneic with crackles; MD notified",
            ),
            (
                "weight down 0.8 kg from yesterday; I/O negative 1.2 L",
                "lungs clearer; ambulating with walker",
            ),
        ),
        key_med=(_m("furosemide", "40 mg", "IV", "BID"), _m("furosemide", "40 mg", "PO", "daily")),
        other_meds=(
            _m("sacubitril-valsartan", "24/26 mg", "PO", "BID"),
            _m("spironolactone", "25 mg", "PO", "daily"),
            _m("carvedilol", "6.25 mg", "PO", "BID"),
        ),
        study=Study(
            "CHEST X-RAY, PORTABLE AP",
            "Single portable view.",
            (
                ("Cardiomegaly with cephalization, Kerley B lines and bilateral pleural effusions.",),
                ("Stable cardiomegaly. No edema. Sternotomy wires intact.",),
            ),
            (
                ("Moderate pulmonary edema consistent with decompensated heart failure.",),
                ("Stable cardiomegaly without acute process.",),
            ),
        ),
        urgent_vitals=(("spo2", 84, 90), ("rr", 24, 32), ("hr", 100, 118)),
    ),
    Problem(
        key="afib",
        specialty="cardiology",
        name=("atrial fibrillation with rapid ventricular response", "paroxysmal atrial fibrillation"),
        complaints=("palpitations", "lightheadedness", "shortness of breath", "fatigue"),
        hpi=(
            (
                "palpitations and lightheadedness since this morning, HR <<140-175>> irregularly "
                "irregular on EMS "
                "strip",
                "new-onset atrial fibrillation with RVR, CHA2DS2-VASc <<3-6>>",
            ),
            (
                "occasional palpitations, rate controlled on current regimen; CHA2DS2-VASc <<2-5>>",
                "in sinus rhythm today; last AF episode <<2-9>> weeks ago lasting under an hour",
            ),
        ),
        exam=(
            (
                "irregularly irregular tachycardia, no murmur",
                "pulse deficit noted, mild respiratory distress",
            ),
            ("regular rhythm, no murmurs", "irregular rhythm, rate 70s"),
        ),
        labs=(
            ("TSH <<0.01-0.08>> (L)", "Mg <<1.3-1.6>>, K <<3.0-3.4>>"),
            ("TSH <<1.0-3.5>>", "Hgb <<12.5-14.8>>, Cr <<0.8-1.2>>"),
        ),
        plan=(
            (
                "rate control with IV diltiazem then PO, replete K and Mg, TTE",
                "start anticoagulation; consider TEE/cardioversion if persistent",
            ),
            (
                "continue rate control and anticoagulation",
                "Holter monitor 14 days; EP referral for ablation discussion",
            ),
        ),
        nursing=(
            (
                "HR 150s AF on monitor, diltiazem 10 mg IV given per order, HR now 110s",
                "pt dizzy when standing, fall precautions in place",
            ),
            ("tele AF rate 70s-80s, asymptomatic", "apixaban given with breakfast, no bleeding noted"),
        ),
        key_med=(
            _m("diltiazem", "10 mg", "IV", "once then 30 mg PO q6h"),
            _m("apixaban", "5 mg", "PO", "BID"),
        ),
        other_meds=(
            _m("metoprolol succinate", "50 mg", "PO", "daily"),
            _m("potassium chloride", "20 mEq", "PO", "x1"),
        ),
        study=Study(
            "CT ANGIOGRAPHY CHEST",
            "Helical CT of the chest after IV contrast.",
            (
                ("Left atrial enlargement. Reflux of contrast into the hepatic veins. No pulmonary embolism.",),
                ("Mild left atrial enlargement. No pulmonary embolism. Lungs clear.",),
            ),
            (
                ("No pulmonary embolism. Findings suggest elevated right heart pressures.",),
                ("No acute abnormality.",),
            ),
        ),
        urgent_vitals=(("hr", 128, 172), ("sbp", 92, 108)),
    ),
    Problem(
        key="heartblock",
        specialty="cardiology",
        name=("symptomatic complete heart block", "sick sinus syndrome s/p dual-chamber pacemaker"),
        complaints=("syncope", "fall", "dizziness", "fatigue"),
        hpi=(
            (
                "two syncopal episodes today without prodrome; HR <<28-38>> on arrival with complete "
                "heart block on "
                "ECG",
                "witnessed collapse at home, brief LOC, no seizure activity; junctional escape at <<30-40>>",
            ),
            ("routine device check; no syncope since implant", "mild fatigue; device functioning normally"),
        ),
        exam=(
            ("bradycardic, cannon a waves in neck veins", "pale, slow to respond but oriented"),
            ("pacemaker pocket well healed, no erythema", "RRR, paced rhythm"),
        ),
        labs=(("K <<5.6-6.4>> (H)", "Troponin I <<0.02-0.09>>"), ("K <<3.9-4.6>>", "Cr <<0.8-1.2>>")),
        plan=(
            (
                "transcutaneous pacing pads on, EP for urgent temporary then permanent pacemaker",
                "hold AV nodal agents",
            ),
            ("device interrogation: normal function, battery <<6-11>> years", "routine remote monitoring"),
        ),
        nursing=(
            ("HR 30s, pads placed, MD at bedside", "pt lightheaded sitting up, back to bed, BP 88/50"),
            ("paced rhythm 60s on tele, no events", "dressing over pacer site clean/dry/intact"),
        ),
        key_med=(_m("dopamine", "5 mcg/kg/min", "IV", "continuous"), _m("aspirin", "81 mg", "PO", "daily")),
        other_meds=(_m("atropine", "0.5 mg", "IV", "PRN"),),
        study=Study(
            "CHEST RADIOGRAPH, 2 VIEWS",
            "Frontal and lateral views.",
            (
                ("Temporary transvenous pacing wire tip in the right ventricle. No pneumothorax.",),
                (
                    "Left chest dual-chamber pacemaker with leads in the right atrium and right "
                    "ventricle. No "
                    "pneumothorax.",
                ),
            ),
            (("Pacing wire in satisfactory position.",), ("Pacemaker leads in expected position.",)),
        ),
        urgent_vitals=(("hr", 28, 40), ("sbp", 78, 96)),
        has_device=True,
    ),
    # ------------------------------------------------------------------ pulmonology
    Problem(
        key="copd",
        specialty="pulmonology",
        name=("acute exacerbation of COPD with hypercapnic respiratory failure", "stable COPD, GOLD stage 3"),
        complaints=("shortness of breath", "cough", "wheezing", "chest tightness"),
        hpi=(
            (
                "<<3-5>> days of worsening dyspnea and increased purulent sputum; ABG pH "
                "<<7.21-7.30>>, PaCO2 "
                "<<58-78>>",
                "unable to speak full sentences; home O2 increased from 2 to 4 L without relief",
            ),
            (
                "baseline dyspnea walking one block; FEV1 <<38-49>>% predicted",
                "no exacerbations since last visit; uses rescue inhaler 2-3 times a week",
            ),
        ),
        exam=(
            (
                "accessory muscle use, diffuse expiratory wheezes, prolonged expiratory phase",
                "tripoding, diminished breath sounds throughout",
            ),
            ("mild end-expiratory wheeze, no distress", "barrel chest, distant breath sounds, no crackles"),
        ),
        labs=(
            ("ABG 7.<<22-29>>/<<60-82>>/<<55-68>>", "VBG pH <<7.22-7.29>>, lactate <<1.9-3.0>>"),
            ("ABG on RA 7.<<38-43>>/<<40-46>>/<<66-78>>", "eosinophils <<100-300>>/uL"),
        ),
        plan=(
            (
                "BiPAP 14/6, duonebs q4h, systemic steroids, azithromycin",
                "ICU consult if worsening hypercapnia",
            ),
            (
                "continue LAMA/LABA; pulmonary rehab referral",
                "smoking cessation counselling; pneumococcal vaccine given",
            ),
        ),
        nursing=(
            (
                "SpO2 86% on 4L, RT called for BiPAP, pt anxious",
                "increased work of breathing after ambulating 10 feet",
            ),
            ("SpO2 93% on 2L NC at rest", "used incentive spirometer, productive cough, white sputum"),
        ),
        key_med=(
            _m("prednisone", "40 mg", "PO", "daily x5 days"),
            _m("tiotropium", "18 mcg", "inhaled", "daily"),
        ),
        other_meds=(
            _m("ipratropium-albuterol", "3 mL", "nebulized", "q4h"),
            _m("azithromycin", "500 mg", "PO", "daily"),
        ),
        study=Study(
            "CHEST X-RAY",
            "PA and lateral chest.",
            (
                ("Hyperinflated lungs with flattened diaphragms. No focal consolidation. No pneumothorax.",),
                ("Hyperinflation with emphysematous changes, unchanged.",),
            ),
            (
                ("Hyperinflation without pneumonia or pneumothorax.",),
                ("Chronic emphysema, no acute change.",),
            ),
        ),
        urgent_vitals=(("spo2", 82, 89), ("rr", 26, 36), ("hr", 102, 122)),
    ),
    Problem(
        key="pneumonia",
        specialty="pulmonology",
        name=("community-acquired pneumonia with sepsis", "community-acquired pneumonia, improving"),
        complaints=("cough", "fever", "shortness of breath", "chest pain", "confusion"),
        hpi=(
            (
                "fever to <<38.9-40.1>> C, rigors and productive cough with rusty sputum for 3 days; lactate "
                "<<2.4-4.8>>",
                "new confusion and pleuritic right-sided chest pain; CURB-65 score <<3-4>>",
            ),
            (
                "cough improving, afebrile for 48 hours on oral antibiotics",
                "mild cough with green sputum, eating well; CURB-65 score <<0-1>>",
            ),
        ),
        exam=(
            (
                "bronchial breath sounds and egophony at the right base",
                "crackles right lower lobe, dry mucous membranes",
            ),
            ("few crackles right base, improved", "clear to auscultation except faint crackles"),
        ),
        labs=(
            (
                "WBC <<16.5-26.0>> with <<8-18>>% bands, lactate <<2.4-4.8>>",
                "procalcitonin <<2.1-9.0>>, blood cultures pending",
            ),
            ("WBC <<8.1-11.0>>", "procalcitonin <<0.05-0.20>>"),
        ),
        plan=(
            (
                "sepsis bundle: 30 mL/kg crystalloid, blood cultures x2 before antibiotics",
                "IV antibiotics, sputum culture, Legionella and pneumococcal urine antigens",
            ),
            ("transition to PO antibiotics to complete 5-day course", "repeat CXR in 6-8 weeks"),
        ),
        nursing=(
            ("T 39.4 C, HR 120s, BP 86/50, MD notified, fluid bolus started", "new confusion, oriented x1"),
            ("afebrile this shift, SpO2 95% RA", "tolerating diet, ambulating independently"),
        ),
        key_med=(
            _m("ceftriaxone", "1 g", "IV", "q24h"),
            _m("amoxicillin-clavulanate", "875 mg", "PO", "BID"),
        ),
        other_meds=(
            _m("azithromycin", "500 mg", "IV", "daily"),
            _m("acetaminophen", "650 mg", "PO", "q6h PRN"),
        ),
        study=Study(
            "CHEST X-RAY PA/LAT",
            "Two views.",
            (
                ("Dense right lower lobe consolidation with air bronchograms and a small parapneumonic effusion.",),
                ("Residual patchy opacity at the right base, improved.",),
            ),
            (("Right lower lobe pneumonia.",), ("Improving right basilar pneumonia.",)),
        ),
        urgent_vitals=(("temp10", 389, 402), ("hr", 108, 132), ("sbp", 80, 96), ("rr", 24, 30)),
    ),
    Problem(
        key="pe",
        specialty="pulmonology",
        name=("acute pulmonary embolism with right heart strain", "subsegmental pulmonary embolism"),
        complaints=("shortness of breath", "chest pain", "syncope", "leg swelling"),
        hpi=(
            (
                "sudden pleuritic chest pain and dyspnea <<1-3>> days after a long car trip; "
                "troponin <<0.10-0.60>>"
                " and BNP <<400-1500>>",
                "near-syncope and tachycardia; left calf swelling for a week",
            ),
            (
                "mild pleuritic chest pain, hemodynamically stable",
                "incidental subsegmental filling defect, no hypoxia",
            ),
        ),
        exam=(
            ("tachycardic, tachypneic, left calf tender and swollen", "JVD, loud P2"),
            ("no distress, lungs clear", "no calf tenderness"),
        ),
        labs=(
            ("D-dimer <<4.5-20.0>> mcg/mL, troponin <<0.10-0.60>>", "BNP <<400-1500>>, lactate <<2.1-3.5>>"),
            ("D-dimer <<0.8-2.0>>", "troponin <0.01"),
        ),
        plan=(
            (
                "heparin infusion, PERT consulted, echo for RV function",
                "consider catheter-directed therapy if deterioration",
            ),
            ("oral anticoagulation for 3 months", "outpatient follow-up in thrombosis clinic"),
        ),
        nursing=(
            ("SpO2 89% on 3L, HR 120s, MD aware, heparin drip at 18 units/kg/h", "pt diaphoretic, anxious"),
            ("no shortness of breath at rest, SpO2 96% RA", "apixaban teaching done with teach-back"),
        ),
        key_med=(
            _m("heparin", "18 units/kg/h", "IV", "continuous"),
            _m("apixaban", "10 mg", "PO", "BID x7 days"),
        ),
        other_meds=(_m("enoxaparin", "1 mg/kg", "SC", "q12h"),),
        study=Study(
            "CT PULMONARY ANGIOGRAM",
            "CT angiography of the chest with IV contrast, PE protocol.",
            (
                ("Saddle embolus extending into both main pulmonary arteries. RV/LV ratio 1.4.",),
                ("Single subsegmental filling defect in the left lower lobe. RV/LV ratio normal.",),
            ),
            (
                ("Large bilateral pulmonary emboli with right heart strain. Critical result called.",),
                ("Subsegmental pulmonary embolus without right heart strain.",),
            ),
        ),
        urgent_vitals=(("hr", 112, 136), ("spo2", 85, 91), ("rr", 22, 30)),
    ),
    Problem(
        key="asthma",
        specialty="pulmonology",
        name=("status asthmaticus", "mild persistent asthma"),
        complaints=("wheezing", "shortness of breath", "cough", "chest tightness"),
        hpi=(
            (
                "severe wheezing unresponsive to <<6-10>> puffs of albuterol at home; peak flow "
                "<<30-45>>% of "
                "personal best",
                "viral URI for 3 days then rapidly progressive dyspnea",
            ),
            (
                "night-time cough twice a month, peak flow <<80-95>>% of best",
                "well controlled on inhaled steroid",
            ),
        ),
        exam=(
            ("speaking in words, diffuse wheeze, pulsus paradoxus", "silent chest on the left"),
            ("no wheeze, normal effort", "mild scattered wheeze on forced expiration"),
        ),
        labs=(
            ("VBG pH <<7.28-7.33>>, pCO2 <<46-55>> (rising)", "eosinophils <<400-900>>"),
            ("FeNO <<15-30>> ppb", "IgE <<80-300>>"),
        ),
        plan=(
            (
                "continuous nebulized albuterol, IV magnesium 2 g, methylprednisolone",
                "PICU/ICU evaluation, low threshold for intubation",
            ),
            ("continue controller, asthma action plan reviewed", "spacer technique reviewed"),
        ),
        nursing=(
            ("peak flow 150 L/min, continuous neb running, RT at bedside", "SpO2 88% on 6L mask"),
            ("peak flow 420 L/min", "no wheeze, inhaler technique good"),
        ),
        key_med=(
            _m("albuterol", "2.5 mg", "nebulized", "q1h"),
            _m("budesonide-formoterol", "160/4.5 mcg 2 puffs", "inhaled", "BID"),
        ),
        other_meds=(
            _m("methylprednisolone", "60 mg", "IV", "q6h"),
            _m("magnesium sulfate", "2 g", "IV", "once"),
        ),
        study=Study(
            "CHEST X-RAY, 1 VIEW",
            "Single frontal view.",
            (
                ("Hyperinflation and peribronchial cuffing. Small left pneumothorax.",),
                ("Mild peribronchial thickening. No consolidation.",),
            ),
            (("Small left pneumothorax in the setting of status asthmaticus.",), ("No acute process.",)),
        ),
        urgent_vitals=(("spo2", 84, 90), ("rr", 28, 38), ("hr", 118, 140)),
    ),
    # ------------------------------------------------------------------ orthopedics
    Problem(
        key="hip",
        specialty="orthopedics",
        name=("displaced left femoral neck fracture", "left hip fracture s/p hemiarthroplasty"),
        complaints=("fall", "hip pain", "unable to bear weight", "leg pain"),
        hpi=(
            (
                "mechanical fall onto the left hip; left leg shortened and externally rotated, unable to bear weight",
                "found on the floor after a fall, down for about <<4-12>> hours; CK <<900-4000>>",
            ),
            (
                "post-op day <<2-4>> after hemiarthroplasty, pain controlled, ambulating with PT",
                "doing well after hip surgery, weight bearing as tolerated",
            ),
        ),
        exam=(
            (
                "left leg shortened and externally rotated, pain with log roll",
                "distal pulses palpable, sensation intact",
            ),
            ("incision clean, dry, intact; staples in place", "calves soft, non-tender"),
        ),
        labs=(
            ("Hgb <<8.1-9.6>> (from 12.4), CK <<900-4000>>", "INR <<2.8-4.1>> on warfarin"),
            ("Hgb <<9.8-11.5>> stable", "INR <<1.0-1.2>>"),
        ),
        plan=(
            (
                "OR today for hemiarthroplasty; hold anticoagulation, reverse INR",
                "pain control, geriatrics co-management, delirium precautions",
            ),
            ("PT/OT, WBAT, DVT prophylaxis for 4 weeks", "discharge to rehab when cleared by PT"),
        ),
        nursing=(
            ("pain 9/10 left hip, morphine given, pt grimacing", "confused overnight, pulled at IV"),
            ("pain 3/10 after oxycodone, walked 40 feet with walker", "dressing dry, Hemovac 20 mL"),
        ),
        key_med=(_m("morphine", "2 mg", "IV", "q4h PRN"), _m("enoxaparin", "40 mg", "SC", "daily")),
        other_meds=(
            _m("oxycodone", "5 mg", "PO", "q4h PRN"),
            _m("acetaminophen", "1 g", "PO", "q8h"),
            _m("vitamin K", "10 mg", "IV", "once"),
        ),
        study=Study(
            "XR PELVIS AND LEFT HIP, 3 VIEWS",
            "AP pelvis and two views of the left hip.",
            (
                ("Displaced subcapital fracture of the left femoral neck with varus angulation.",),
                ("Left hip hemiarthroplasty in anatomic alignment. No periprosthetic fracture.",),
            ),
            (("Displaced left femoral neck fracture.",), ("Expected postoperative appearance.",)),
        ),
        urgent_vitals=(("hr", 100, 118), ("sbp", 96, 108)),
    ),
    Problem(
        key="knee",
        specialty="orthopedics",
        name=("septic arthritis of the right knee", "right knee osteoarthritis s/p total knee arthroplasty"),
        complaints=("knee pain", "knee swelling", "fever", "difficulty walking"),
        hpi=(
            (
                "acutely hot, swollen right knee for 2 days with fever; aspirate WBC <<60000-140000>>",
                "unable to flex the right knee beyond <<10-30>> degrees, rigors overnight",
            ),
            (
                "<<6-12>> weeks after right TKA, range of motion 0-<<105-120>> degrees",
                "chronic knee pain, Kellgren-Lawrence grade 3, failed injections",
            ),
        ),
        exam=(
            ("large effusion, warm, erythematous, pain with passive ROM", "febrile, ill-appearing"),
            ("well-healed incision, no effusion", "crepitus, medial joint line tenderness"),
        ),
        labs=(
            (
                "synovial WBC <<60000-140000>> with 92% PMN, Gram stain GPC in clusters",
                "CRP <<120-310>>, ESR <<70-110>>",
            ),
            ("CRP <<3-9>>", "ESR <<8-20>>"),
        ),
        plan=(
            ("urgent arthroscopic washout, IV antibiotics pending cultures", "ID consult"),
            ("home exercise program, continue PT twice weekly", "follow up in 3 months with X-rays"),
        ),
        nursing=(
            ("T 38.9 C, knee dressing saturated, MD notified", "pain 8/10 despite PRN"),
            ("CPM machine 0-90 degrees for 2 h", "ice and elevation, pain 2/10"),
        ),
        key_med=(_m("vancomycin", "15 mg/kg", "IV", "q12h"), _m("meloxicam", "15 mg", "PO", "daily")),
        other_meds=(_m("cefazolin", "2 g", "IV", "q8h"), _m("acetaminophen", "1 g", "PO", "q8h")),
        study=Study(
            "XR RIGHT KNEE, 3 VIEWS",
            "AP, lateral and sunrise views of the right knee.",
            (
                ("Large joint effusion with periarticular soft tissue swelling. No fracture.",),
                ("Total knee arthroplasty components in satisfactory alignment. No loosening.",),
            ),
            (("Large effusion; septic arthritis not excluded radiographically.",), ("Stable right TKA.",)),
        ),
        urgent_vitals=(("temp10", 384, 396), ("hr", 102, 120)),
    ),
    Problem(
        key="spine",
        specialty="orthopedics",
        name=("cauda equina syndrome from L4-L5 disc herniation", "lumbar spinal stenosis"),
        complaints=("back pain", "leg numbness", "leg weakness", "difficulty walking"),
        hpi=(
            (
                "severe low back pain with bilateral leg weakness, saddle anesthesia and urinary retention "
                "(PVR <<600-1100>> mL)",
                "new foot drop and perineal numbness since yesterday",
            ),
            (
                "neurogenic claudication after walking <<1-3>> blocks, relieved by sitting",
                "chronic back pain radiating to the buttocks, no bowel or bladder symptoms",
            ),
        ),
        exam=(
            ("decreased rectal tone, EHL 2/5 bilaterally, absent ankle reflexes", "saddle anesthesia"),
            ("strength 5/5 throughout, negative straight leg raise", "mild lumbar tenderness, gait normal"),
        ),
        labs=(("PVR <<600-1100>> mL", "WBC <<7.0-10.0>>"), ("CBC unremarkable", "BMP within normal limits")),
        plan=(
            ("emergent MRI and spine surgery for decompression tonight", "Foley catheter"),
            ("physical therapy, epidural steroid injection offered", "weight loss counselling"),
        ),
        nursing=(
            ("bladder scan 900 mL, straight cath done", "unable to feel legs, MD notified"),
            ("ambulating with cane, pain 4/10", "no bowel or bladder issues"),
        ),
        key_med=(_m("dexamethasone", "10 mg", "IV", "once"), _m("gabapentin", "300 mg", "PO", "TID")),
        other_meds=(_m("hydromorphone", "0.5 mg", "IV", "q3h PRN"), _m("naproxen", "500 mg", "PO", "BID")),
        study=Study(
            "MRI LUMBAR SPINE WITHOUT CONTRAST",
            "Multiplanar multisequence MR of the lumbar spine.",
            (
                ("Large central L4-L5 disc extrusion with severe canal stenosis and compression of the cauda equina.",),
                ("Moderate L3-L4 and L4-L5 canal stenosis from facet and ligamentum hypertrophy.",),
            ),
            (
                ("Severe L4-L5 stenosis with cauda equina compression. Findings called to the ED.",),
                ("Multilevel degenerative stenosis, worst at L4-L5.",),
            ),
        ),
        urgent_vitals=(("sbp", 150, 176),),
    ),
    # ------------------------------------------------------------------ neurology
    Problem(
        key="stroke",
        specialty="neurology",
        name=("acute ischemic stroke", "subacute ischemic stroke, stable"),
        complaints=("weakness", "slurred speech", "facial droop", "confusion", "fall"),
        hpi=(
            (
                "acute onset right-sided weakness and aphasia, last known well <<45-200>> minutes "
                "before arrival; "
                "NIHSS <<9-22>>",
                "left facial droop and left arm drift noted by family at breakfast; NIHSS <<6-15>>",
            ),
            (
                "day <<3-6>> after left MCA stroke, residual mild right hand weakness, NIHSS <<1-3>>",
                "speech improving with SLP; swallow eval passed",
            ),
        ),
        exam=(
            (
                "right hemiparesis 2/5, expressive aphasia, right gaze preference",
                "left facial droop, dysarthria, left pronator drift",
            ),
            ("right grip 4/5, otherwise non-focal", "mild dysarthria, alert and oriented"),
        ),
        labs=(
            ("Glu <<110-160>>, INR <<1.0-1.1>>, Plt <<180-260>>", "LDL <<120-180>>, HbA1c <<6.0-8.5>>%"),
            ("LDL <<60-90>> on statin", "HbA1c <<5.6-6.8>>%"),
        ),
        plan=(
            (
                "IV thrombolysis given within the window, CTA for large vessel occlusion, neuro checks q15min",
                "BP goal < 180/105, stroke unit admission",
            ),
            ("secondary prevention, PT/OT/SLP, rehab placement", "outpatient neurology in 6 weeks"),
        ),
        nursing=(
            (
                "neuro check: new worsening of right arm strength, stroke team paged",
                "NPO pending swallow screen",
            ),
            ("neuro checks stable q4h", "tolerating mechanical soft diet"),
        ),
        key_med=(_m("alteplase", "0.9 mg/kg", "IV", "once"), _m("clopidogrel", "75 mg", "PO", "daily")),
        other_meds=(_m("aspirin", "81 mg", "PO", "daily"), _m("atorvastatin", "80 mg", "PO", "nightly")),
        study=Study(
            "CT HEAD WITHOUT CONTRAST AND CTA HEAD/NECK",
            "Non-contrast CT head followed by CT angiography.",
            (
                ("Hyperdense left MCA sign. Occlusion of the proximal left M1 segment. ASPECTS 8.",),
                ("Evolving infarct in the left corona radiata without hemorrhagic transformation.",),
            ),
            (("Acute left MCA occlusion. Stroke team notified.",), ("Subacute infarct, no hemorrhage.",)),
        ),
        urgent_vitals=(("sbp", 168, 205), ("dbp", 92, 112)),
    ),
    Problem(
        key="seizure",
        specialty="neurology",
        name=("status epilepticus", "breakthrough seizure"),
        complaints=("seizure", "confusion", "fall", "tongue biting"),
        hpi=(
            (
                "generalized tonic-clonic seizure lasting over <<6-20>> minutes without return to baseline",
                "recurrent seizures en route, not responding between events",
            ),
            (
                "single brief seizure after missing two doses of antiepileptic",
                "back to baseline, no further events; last seizure <<4-14>> months ago",
            ),
        ),
        exam=(
            ("post-ictal, GCS <<7-10>>, lateral tongue laceration", "rhythmic left arm jerking"),
            ("alert, oriented, non-focal exam", "small tongue bite, otherwise normal"),
        ),
        labs=(
            ("lactate <<4.5-9.0>>, CK <<300-1200>>", "levetiracetam level undetectable"),
            ("levetiracetam level low-normal", "BMP unremarkable"),
        ),
        plan=(
            (
                "benzodiazepine per status protocol, load antiepileptic, continuous EEG",
                "ICU admission, airway watch",
            ),
            ("reinforce adherence, driving restriction counselling", "increase dose, neurology follow-up"),
        ),
        nursing=(
            ("seizure activity 3 minutes, lorazepam given, SpO2 90%", "seizure pads on rails"),
            ("no seizure activity this shift", "seizure precautions maintained"),
        ),
        key_med=(_m("lorazepam", "4 mg", "IV", "once"), _m("levetiracetam", "750 mg", "PO", "BID")),
        other_meds=(_m("fosphenytoin", "20 mg PE/kg", "IV", "once"),),
        study=Study(
            "MRI BRAIN WITH AND WITHOUT CONTRAST",
            "Multiplanar MR imaging of the brain.",
            (
                ("Restricted diffusion in the right hippocampus and cortical ribbon, likely peri-ictal.",),
                ("Mild left mesial temporal sclerosis, stable.",),
            ),
            (("Peri-ictal changes; no mass or hemorrhage.",), ("Stable left mesial temporal sclerosis.",)),
        ),
        urgent_vitals=(("hr", 112, 138), ("spo2", 85, 91)),
    ),
    Problem(
        key="headache",
        specialty="neurology",
        name=("aneurysmal subarachnoid hemorrhage", "chronic migraine"),
        complaints=("headache", "nausea", "vision changes", "neck pain"),
        hpi=(
            (
                "sudden worst-headache-of-life with neck stiffness and vomiting; Hunt-Hess grade <<2-4>>",
                "thunderclap headache while lifting, brief LOC",
            ),
            (
                "<<10-18>> headache days per month with photophobia, no red flags",
                "typical migraine, responds to triptans",
            ),
        ),
        exam=(
            ("meningismus, drowsy but arousable", "right CN III palsy"),
            ("normal neuro exam, fundi normal", "non-focal"),
        ),
        labs=(("Na <<128-133>>", "Plt <<180-260>>"), ("CBC and BMP normal", "ESR <<5-15>>")),
        plan=(
            ("neurosurgery for coiling, SBP < 140, nimodipine", "EVD if hydrocephalus"),
            ("headache diary, preventive therapy", "limit analgesics to avoid medication overuse"),
        ),
        nursing=(
            ("worst headache, vomiting, pupils equal, neurosurgery aware", "neuro checks q1h"),
            ("headache 3/10, lights dimmed", "resting comfortably"),
        ),
        key_med=(_m("nimodipine", "60 mg", "PO", "q4h"), _m("sumatriptan", "50 mg", "PO", "PRN")),
        other_meds=(_m("ondansetron", "4 mg", "IV", "q8h PRN"), _m("topiramate", "50 mg", "PO", "BID")),
        study=Study(
            "CT HEAD WITHOUT CONTRAST",
            "Axial images through the head without contrast.",
            (
                ("Diffuse subarachnoid hemorrhage in the basal cisterns. Early hydrocephalus.",),
                ("No hemorrhage, mass or infarct. Ventricles normal.",),
            ),
            (("Subarachnoid hemorrhage. Neurosurgery notified.",), ("Normal CT head.",)),
        ),
        urgent_vitals=(("sbp", 162, 198),),
    ),
    # ------------------------------------------------------------------ gastroenterology
    Problem(
        key="ugib",
        specialty="gastroenterology",
        name=("upper GI bleed with hemorrhagic shock", "upper GI bleed, stable after EGD"),
        complaints=("black stools", "vomiting blood", "weakness", "dizziness", "syncope"),
        hpi=(
            (
                "melena for 2 days and coffee-ground emesis this morning; Hgb <<5.9-7.4>> from baseline 12",
                "hematemesis x3 with lightheadedness; Glasgow-Blatchford score <<12-17>>",
            ),
            (
                "EGD showed a clean-based duodenal ulcer; no further melena",
                "Hgb stable for 48 hours, tolerating diet",
            ),
        ),
        exam=(
            ("pale, tachycardic, melena on rectal exam", "cool extremities, delayed cap refill"),
            ("abdomen soft, non-tender", "no pallor, warm extremities"),
        ),
        labs=(
            ("Hgb <<5.9-7.4>>, BUN <<45-88>>, INR <<1.2-1.6>>", "lactate <<2.6-5.0>>"),
            ("Hgb <<9.1-10.6>> stable x3", "BUN <<14-22>>"),
        ),
        plan=(
            ("2 large-bore IVs, transfuse 2 units PRBC, urgent EGD", "hold anticoagulation"),
            ("H. pylori testing, avoid NSAIDs", "repeat CBC in 1 week"),
        ),
        nursing=(
            ("large maroon stool, HR 128, BP 84/46, rapid response called", "1 unit PRBC transfusing"),
            ("no BM this shift, Hgb stable", "tolerating clear liquids"),
        ),
        key_med=(
            _m("pantoprazole", "80 mg", "IV", "bolus then 8 mg/h"),
            _m("pantoprazole", "40 mg", "PO", "BID"),
        ),
        other_meds=(_m("octreotide", "50 mcg/h", "IV", "continuous"), _m("ceftriaxone", "1 g", "IV", "q24h")),
        study=Study(
            "CT ANGIOGRAPHY ABDOMEN AND PELVIS",
            "Multiphase CT of the abdomen and pelvis.",
            (
                ("Active contrast extravasation in the second portion of the duodenum.",),
                ("No active extravasation. Duodenal wall thickening.",),
            ),
            (("Active duodenal bleeding. IR notified.",), ("No active bleeding.",)),
        ),
        urgent_vitals=(("hr", 118, 142), ("sbp", 74, 94), ("dbp", 38, 55)),
    ),
    Problem(
        key="pancreatitis",
        specialty="gastroenterology",
        name=("severe acute pancreatitis", "resolving acute pancreatitis"),
        complaints=("abdominal pain", "nausea", "vomiting", "back pain", "chest pain"),
        hpi=(
            (
                "severe epigastric pain radiating to the back with vomiting; lipase <<2100-9000>>",
                "gallstone pancreatitis with SIRS; BISAP <<3-4>>",
            ),
            ("pain improving, tolerating low-fat diet", "lipase trending down, afebrile"),
        ),
        exam=(
            ("epigastric tenderness with guarding, hypoactive bowel sounds", "Grey Turner sign"),
            ("mild epigastric tenderness", "soft, non-distended abdomen"),
        ),
        labs=(
            (
                "lipase <<2100-9000>>, Ca <<7.0-7.9>>, BUN <<28-45>>",
                "triglycerides <<180-300>>, lactate <<2.2-4.0>>",
            ),
            ("lipase <<80-240>>", "ALT <<20-45>>"),
        ),
        plan=(
            (
                "aggressive IV fluids with goal-directed therapy, NPO, pain control",
                "ICU if organ failure; ERCP if cholangitis",
            ),
            ("advance diet, cholecystectomy same admission", "alcohol cessation counselling"),
        ),
        nursing=(
            ("pain 10/10, urine output 15 mL/h, MD notified", "NG tube to low wall suction"),
            ("tolerating low-fat diet, pain 2/10", "ambulating in hall"),
        ),
        key_med=(
            _m("lactated Ringer's", "250 mL/h", "IV", "continuous"),
            _m("ondansetron", "4 mg", "PO", "q8h PRN"),
        ),
        other_meds=(_m("hydromorphone", "0.5 mg", "IV", "q3h PRN"), _m("enoxaparin", "40 mg", "SC", "daily")),
        study=Study(
            "CT ABDOMEN AND PELVIS WITH CONTRAST",
            "Portal venous phase CT.",
            (
                ("Diffuse pancreatic edema with peripancreatic fluid and 30% non-enhancing parenchyma.",),
                ("Mild residual peripancreatic stranding. Cholelithiasis.",),
            ),
            (("Necrotizing pancreatitis.",), ("Improving interstitial pancreatitis.",)),
        ),
        urgent_vitals=(("hr", 110, 130), ("temp10", 381, 392)),
    ),
    Problem(
        key="cirrhosis",
        specialty="gastroenterology",
        name=("decompensated cirrhosis with hepatic encephalopathy", "compensated alcohol-related cirrhosis"),
        complaints=("confusion", "abdominal swelling", "leg swelling", "jaundice", "fatigue"),
        hpi=(
            (
                "increasing confusion and asterixis for 2 days; MELD-Na <<24-34>>",
                "tense ascites with fever, paracentesis PMN <<400-1800>>",
            ),
            (
                "no ascites or encephalopathy; abstinent from alcohol for <<6-30>> months",
                "routine variceal surveillance, MELD <<8-12>>",
            ),
        ),
        exam=(
            ("asterixis, jaundiced, tense ascites", "spider angiomata, oriented to self only"),
            ("no asterixis, mild splenomegaly", "no ascites, alert and oriented"),
        ),
        labs=(
            ("ammonia <<90-180>>, T bili <<4.2-9.8>>, INR <<1.8-2.6>>", "Na <<124-130>>, Cr <<1.6-2.6>>"),
            ("T bili <<0.9-1.6>>, INR <<1.0-1.3>>", "Alb <<3.3-3.9>>, Plt <<110-150>>"),
        ),
        plan=(
            (
                "titrate to 3-4 soft BMs daily, diagnostic paracentesis, IV albumin",
                "transplant hepatology evaluation",
            ),
            ("HCC screening ultrasound every 6 months", "continue alcohol abstinence support"),
        ),
        nursing=(
            ("pt disoriented, pulling lines, lactulose given, 1 BM", "abdomen tense, paracentesis 5 L"),
            ("alert and oriented x3", "2 soft BMs today"),
        ),
        key_med=(_m("lactulose", "20 g", "PO", "TID"), _m("spironolactone", "100 mg", "PO", "daily")),
        other_meds=(_m("rifaximin", "550 mg", "PO", "BID"), _m("furosemide", "40 mg", "PO", "daily")),
        study=Study(
            "ULTRASOUND ABDOMEN WITH DOPPLER",
            "Grayscale and Doppler sonography of the abdomen.",
            (
                ("Nodular liver, large volume ascites, reversed portal venous flow.",),
                ("Nodular liver contour, no ascites, patent hepatopetal portal flow. No focal lesion.",),
            ),
            (
                ("Cirrhosis with large ascites and hepatofugal portal flow.",),
                ("Cirrhosis, no focal lesion.",),
            ),
        ),
        urgent_vitals=(("sbp", 84, 98), ("temp10", 380, 390)),
    ),
    Problem(
        key="biliary",
        specialty="gastroenterology",
        name=("acute cholangitis with choledocholithiasis", "GERD with non-cardiac chest pain"),
        complaints=("abdominal pain", "chest pain", "fever", "nausea", "heartburn"),
        hpi=(
            (
                "RUQ pain, fever and jaundice for 24 hours; T bili <<3.5-8.0>>, Tokyo grade II",
                "rigors and confusion with RUQ tenderness",
            ),
            (
                "burning retrosternal chest pain after meals, worse lying down; troponins negative",
                "chest pain with normal stress test last month, improves with antacids",
            ),
        ),
        exam=(
            ("jaundiced, febrile, RUQ tenderness", "Murphy sign negative, scleral icterus"),
            ("epigastric tenderness, chest wall non-tender", "RRR, lungs clear"),
        ),
        labs=(
            ("T bili <<3.5-8.0>>, Alk phos <<300-650>>, WBC <<14-22>>", "lipase <<40-120>>"),
            ("Troponin I <0.01 x2", "LFTs normal"),
        ),
        plan=(
            ("ERCP within 24 h, blood cultures, IV antibiotics", "surgery for cholecystectomy after ERCP"),
            ("trial of PPI for 8 weeks, elevate head of bed", "EGD if alarm symptoms"),
        ),
        nursing=(
            ("T 39.1 C, rigors, MD notified, cultures drawn", "BP 88/52 after ERCP, bolus given"),
            ("no chest pain after PPI", "education on diet triggers"),
        ),
        key_med=(
            _m("piperacillin-tazobactam", "4.5 g", "IV", "q8h"),
            _m("omeprazole", "20 mg", "PO", "daily"),
        ),
        other_meds=(
            _m("acetaminophen", "650 mg", "PO", "q6h PRN"),
            _m("calcium carbonate", "500 mg", "PO", "PRN"),
        ),
        study=Study(
            "ULTRASOUND RIGHT UPPER QUADRANT",
            "Grayscale ultrasound of the right upper quadrant.",
            (
                ("Common bile duct dilated to 11 mm with an obstructing distal stone.",),
                ("Normal gallbladder and bile ducts.",),
            ),
            (("Choledocholithiasis with biliary dilatation.",), ("Normal RUQ ultrasound.",)),
        ),
        urgent_vitals=(("temp10", 386, 401), ("hr", 104, 124), ("sbp", 86, 100)),
    ),
)

PROBLEMS_BY_SPECIALTY: dict[str, tuple[Problem, ...]] = {
    s: tuple(p for p in PROBLEMS if p.specialty == s) for s in SPECIALTIES
}

# Things a note may say about devices; only the serial number itself is an identifier.
DEVICES: tuple[str, ...] = (
    "dual-chamber pacemaker",
    "implantable cardioverter-defibrillator",
    "insulin pump",
    "vagus nerve stimulator",
    "CPAP machine",
    "left knee implant",
    "cochlear implant",
)


def vitals(problem: Problem, triage: str, rng: Random) -> dict[str, int]:
    """Vital signs consistent with triage: normal when routine, problem-specific derangements when urgent."""
    v = {k: rng.randint(lo, hi) for k, (lo, hi) in NORMAL_VITALS.items()}
    if triage == "urgent":
        overrides = list(problem.urgent_vitals)
        # Urgent notes show most, not always all, of the expected derangements.
        keep = overrides if len(overrides) <= 1 else rng.sample(overrides, max(1, len(overrides) - rng.randint(0, 1)))
        for name, lo, hi in keep:
            v[name] = rng.randint(lo, hi)
    if v["dbp"] >= v["sbp"] - 20:
        v["dbp"] = v["sbp"] - rng.randint(25, 45)
    return v


def render_vitals(v: dict[str, int], rng: Random) -> str:
    temp_c = v["temp10"] / 10
    o2 = "RA" if v["spo2"] >= 94 or rng.random() < 0.3 else f"{rng.randint(2, 6)}L NC"
    if rng.random() < 0.5:
        return f"T {temp_c:.1f} C, HR {v['hr']}, BP {v['sbp']}/{v['dbp']}, RR {v['rr']}, SpO2 {v['spo2']}% on {o2}"
    temp_f = temp_c * 9 / 5 + 32
    return f"Temp {temp_f:.1f}F  P {v['hr']}  BP {v['sbp']}/{v['dbp']}  R {v['rr']}  O2 sat {v['spo2']}% {o2}"
